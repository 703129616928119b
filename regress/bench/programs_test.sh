#! /usr/bin/env atf-sh
# The micro-benchmarks `make bench` runs (rules_bench, policyd_bench,
# parse_bench) still run and print their figures, so that a change of a
# protocol or a library does not break them unseen between two runs of
# make bench.  Their figures are not judged here: speed is measured by
# make bench, never asserted in a test.
BENCH=@OBJDIR@/regress/bench

atf_test_case rules_bench
rules_bench_head()
{
	atf_set descr "rules_bench compiles, checks and matches 100,000 rules"
}
rules_bench_body()
{
	atf_check -o match:"^rules_bench: match p50 [0-9]+ ns" \
	    "$BENCH/rules_bench"
}

atf_test_case policyd_bench
policyd_bench_head()
{
	atf_set descr "policyd_bench gets its round trips from a real" \
	    "postern-policyd at 10 to 100,000 rules"
	atf_set require.user root
	atf_set timeout 120
}
policyd_bench_body()
{
	atf_check -o save:out "$BENCH/policyd_bench"
	for what in "10 rules" "20 KB argument" "60 KB argument" \
	    "1000 rules" "100000 rules"; do
		atf_check -o ignore grep -E \
		    "^policyd round trip, +$what: p50 +[0-9.]+ us" out
	done
}

atf_test_case parse_bench
parse_bench_head()
{
	atf_set descr "parse_bench parses its FETCH and command streams"
}
parse_bench_body()
{
	atf_check -o save:out "$BENCH/parse_bench" -n 1
	atf_check -o ignore grep -E "^\(a\) FETCH, 50 KB literals +[0-9.]+ MB/s" out
	atf_check -o ignore grep -E "^\(b\) short commands +[0-9.]+ MB/s" out
}

atf_init_test_cases()
{
	atf_add_test_case rules_bench
	atf_add_test_case policyd_bench
	atf_add_test_case parse_bench
}
