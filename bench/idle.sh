#!/usr/bin/env bash
# idle.sh: issue 15's targets measured the way BENCHMARKS.md reports them.
#
#   bench/idle.sh build OUT          build this checkout's server, syncbench and attackmem into OUT/bin
#   bench/idle.sh a OUT              Badger: push and day with PouchDB; 500 laptops (plain, then GOGC=100);
#                                    the push once more without PouchDB
#   bench/idle.sh b OUT              PostgreSQL: push (1 process); 500 laptops on 2 processes;
#                                    the spread push (20,000 records) with PouchDB
#   bench/idle.sh alt OLD NEW OUT    two builds (OUT dirs of `build`) alternated twice: 500 laptops on Badger and
#                                    on PostgreSQL x2, the push and the spread push without PouchDB
#   bench/idle.sh smoke OUT          syncbench -quick without PouchDB: checks the binaries and this script
#   bench/idle.sh attack OUT         attackmem: binary,amplification,bombs,both,challenge; then binary x3
#
# Each run's output goes to OUT/<name>.log (appended, stamped with the UTC time and `uptime`), so the figures can be
# quoted with the load they were measured under. The machine's speed varies by the hour: compare builds only
# alternated, and ratios only against the PouchDB of the same run. PouchDB runs need node and npm (bench/pouchdb).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

absdir() { mkdir -p "$1" && cd "$1" && pwd; }
stamp() { echo "### $(date -u +%FT%TZ) $* | $(uptime)"; }

# run OUT NAME [ENV=...] -- ARGS: syncbench with OUT's binaries, logged to OUT/NAME.log
run() {
	local out=$1 name=$2; shift 2
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	# (from the checkout's root, where syncbench finds bench/pouchdb)
	{ stamp "$name ${envs[*]} syncbench $*"; cd "$here" && env "${envs[@]}" "$out/bin/syncbench" -server "$out/bin/kenesh-syncserver" "$@" 2>&1; } | tee -a "$out/$name.log"
}

case "${1:-}" in
build)
	out=$(absdir "${2:?OUT}"); mkdir -p "$out/bin"
	(cd "$here" && CGO_ENABLED=0 go build -o "$out/bin/" ./syncserver/cmd/kenesh-syncserver \
		./desktop/internal/cmd/syncbench ./syncserver/internal/cmd/attackmem)
	git -C "$here" rev-parse HEAD > "$out/commit"
	;;
a)
	out=$(absdir "${2:?OUT}")
	run "$out" push-day -- -parts push,day
	run "$out" load -- -parts load -clients 500 -pouchdb=false
	run "$out" load-gogc100 GOGC=100 -- -parts load -clients 500 -pouchdb=false
	run "$out" push -- -parts push -pouchdb=false
	;;
b)
	out=$(absdir "${2:?OUT}")
	run "$out" pg-push -- -parts push -pouchdb=false -postgres
	run "$out" pg-load2 -- -parts load -clients 500 -pouchdb=false -postgres -processes 2
	run "$out" spread -- -parts push -spread -records 20000
	;;
alt)
	old=$(absdir "${2:?OLD}") new=$(absdir "${3:?NEW}") out=$(absdir "${4:?OUT}")
	for i in 1 2; do
		for side in old new; do
			dir=$old; [ $side = new ] && dir=$new
			mkdir -p "$out/$side"; ln -sfn "$dir/bin" "$out/$side/bin"
			run "$out/$side" load -- -parts load -clients 500 -pouchdb=false
			run "$out/$side" pg-load2 -- -parts load -clients 500 -pouchdb=false -postgres -processes 2
			run "$out/$side" push -- -parts push -pouchdb=false
			run "$out/$side" spread -- -parts push -spread -records 20000 -pouchdb=false
		done
	done
	;;
smoke)
	out=$(absdir "${2:?OUT}")
	run "$out" smoke -- -quick -pouchdb=false -parts push,load
	;;
attack)
	out=$(absdir "${2:?OUT}")
	{ stamp attackmem all; "$out/bin/attackmem" -server "$out/bin/kenesh-syncserver" -attacks binary,amplification,bombs,both,challenge 2>&1; } | tee -a "$out/attack.log"
	for i in 1 2 3; do
		{ stamp attackmem binary $i; "$out/bin/attackmem" -server "$out/bin/kenesh-syncserver" -attacks binary 2>&1; } | tee -a "$out/attack.log"
	done
	;;
*)
	sed -n "2,17p" "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
