package domain

import (
	"fmt"
	"regexp"
	"strconv"
)

// A registration number is what a secretary writes on the paper and tells the
// citizen: COUNCIL-YEAR-TAG-N, for example NRN-AT-2026-K7QH-0042. TAG names
// the laptop (random at set-up, four letters and digits that cannot be
// misread), N counts that laptop's appeals in that year. Council, laptop and
// counter together make it unique without asking the server.
var regNoPattern = regexp.MustCompile(`^([A-Z0-9][A-Z0-9-]{1,15})-([0-9]{4})-([0-9A-Z]{4})-([0-9]{4,})$`)

// DeviceTagAlphabet leaves out 0/O, 1/I/L and U, easy to misread when a
// number is read out on the phone.
const DeviceTagAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// FormatRegNo builds a registration number.
func FormatRegNo(council string, year int, tag string, n uint64) string {
	return fmt.Sprintf("%s-%04d-%s-%04d", council, year, tag, n)
}

// ParseRegNo splits a registration number into its parts.
func ParseRegNo(s string) (council string, year int, tag string, n uint64, err error) {
	m := regNoPattern.FindStringSubmatch(s)
	if m == nil {
		return "", 0, "", 0, fmt.Errorf("%q is not a registration number (COUNCIL-YEAR-TAG-N, e.g. NRN-2026-K7QH-0042)", s)
	}
	year, _ = strconv.Atoi(m[2])
	n, _ = strconv.ParseUint(m[4], 10, 64)
	return m[1], year, m[3], n, nil
}
