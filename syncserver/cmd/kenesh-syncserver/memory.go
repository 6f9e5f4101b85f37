package main

import (
	"flag"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// serve sets no soft memory limit of its own unless told: 256MiB took the
// 100,000-record push's peak RSS from about 410 to 325 MiB, but the spread
// push (20,000 records) keeps more than 256 MiB live and ran 40% slower
// under it (BENCHMARKS.md, memory2 helper).

// memoryLimit is --memory-limit: bytes, written as GOMEMLIMIT is
// (256MiB, 1GiB, 1073741824); 0 means no limit.
type memoryLimit int64

func (m *memoryLimit) String() string { return formatBytes(int64(*m)) }

func (m *memoryLimit) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*m = memoryLimit(n)
	return nil
}

var byteUnits = []struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}

// parseBytes reads a size as GOMEMLIMIT takes it: a whole number of bytes
// with an optional B, KiB, MiB, GiB or TiB.
func parseBytes(s string) (int64, error) {
	num, shift := strings.TrimSpace(s), uint(0)
	for _, u := range byteUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, shift = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q: want a size such as 256MiB or 1GiB (B, KiB, MiB, GiB, TiB), or 0 for no limit", s)
	}
	return n << shift, nil
}

// formatBytes writes n in the largest unit that divides it.
func formatBytes(n int64) string {
	for _, u := range byteUnits {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// memoryLimitFor says which soft limit serve sets: the flag's when the
// command line or the configuration file gave it, else none of its own
// when the operator set GOMEMLIMIT or nothing (the runtime has read it).
// 0 is no limit (math.MaxInt64, the runtime's own default).
func memoryLimitFor(fs *flag.FlagSet, flagged memoryLimit) (limit int64, set bool) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "memory-limit" })
	switch {
	case given && flagged == 0:
		return math.MaxInt64, true
	case given:
		return int64(flagged), true
	}
	return debug.SetMemoryLimit(-1), false // the runtime's: GOMEMLIMIT or none
}
