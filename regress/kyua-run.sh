#!/bin/sh
# Run the whole suite with kyua, show the report of anything that did not
# pass, and end with the one line CI reads: "N passed, N failed".
# usage: kyua-run.sh OBJDIR
obj=$1
top=$(cd "$(dirname "$0")/.." && pwd)
results=$obj/kyua-results.db
rm -f "$results"

# Every *_test program in the build tree is run (Kyuafile.area): one whose
# source is gone (a test file split or removed) would still run, and
# count, from an older build.  It goes, and the run says so.
for t in "$obj"/regress/*/*_test; do
	[ -f "$t" ] || continue
	src=$top/regress/${t#"$obj"/regress/}
	[ -f "$src.c" ] || [ -f "$src.sh" ] && continue
	echo "kyua-run.sh: $t: no $src.c or .sh: an old build's, removed"
	rm -f "$t" "$t.o" "$t.d"
done

# Under SANITIZE=1: any sanitizer report fails the test; atf's own
# allocations are not ours to chase.
export LSAN_OPTIONS="suppressions=$top/regress/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

kyua test --kyuafile="$obj/regress/Kyuafile" --build-root="$obj/regress" \
    --results-file="$results" >"$obj/kyua-test.log" 2>&1
krc=$?
cat "$obj/kyua-test.log"

# A test that leaves its Dovecot or posternd running has a broken
# cleanup: name it, stop it, and fail the run.  Only processes whose kyua
# work directory is gone count, so another suite running at the same time
# is left alone.
leak=0
leaked=$(
    for p in $(pgrep -f 'dovecot -c /tmp/kyua\.'); do
	conf=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null |
	    sed -n 's|.*-c \(/tmp/kyua\.[^ ]*\).*|\1|p')
	[ -n "$conf" ] && [ ! -e "$conf" ] && echo "$p dovecot -c $conf"
    done
    for p in $(pgrep -x posternd); do
	case "$(readlink "/proc/$p/cwd")" in
	"/tmp/kyua."*" (deleted)")	echo "$p posternd" ;;
	esac
    done)
if [ -n "$leaked" ]; then
	echo "processes left behind by tests (counted as 1 failed):" >&2
	echo "$leaked" >&2
	echo "$leaked" | while read -r pid rest; do kill -9 "$pid"; done
	leak=1
fi

kyua report --results-file="$results" \
    --results-filter=broken,failed --verbose >"$obj/kyua-report.log" 2>&1
summary=$(kyua report --results-file="$results" 2>/dev/null |
    sed -n 's/^Test cases: //p')
if [ -z "$summary" ]; then
	echo "kyua produced no results (exit $krc)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
# "12 total, 1 skipped, 0 expected failures, 0 broken, 0 failed"
set -- $(echo "$summary" | tr -cs '0-9' ' ')
total=$1 skipped=$2 xfail=$3 broken=$4 failed=$5
bad=$((broken + failed + leak))
if [ "$bad" -gt 0 ]; then
	cat "$obj/kyua-report.log"
fi
passed=$((total - skipped - xfail - broken - failed))
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $bad failed, $skipped skipped"
else
	echo "$passed passed, $bad failed"
fi
[ "$bad" -eq 0 ] && [ "$krc" -eq 0 ]
