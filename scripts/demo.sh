#!/usr/bin/env bash
# make demo: the stocks example end to end — symbols added, a first backfill, the next trading
# day loaded incrementally, status, queries, checks and explain (docs/tutorial.md explains every
# step). make demo-sales (scripts/demo.sh BUILD sales): the sales example instead, then a short
# tour of the partition engine. Runs in a new temporary directory, which it leaves in place for
# you to explore.
#
#   scripts/demo.sh [BUILD_DIR] [stocks|sales]
set -euo pipefail
build=${1:-build}
which=${2:-stocks}
case "$which" in
stocks | sales) ;;
*)
	echo "usage: scripts/demo.sh [BUILD_DIR] [stocks|sales]" >&2
	exit 2
	;;
esac
t="$(cd "$(dirname "$0")/.." && pwd)/$build/tranche"
tranche() { "$t" "$@"; }
unset TRANCHE_NOW ALPHAVANTAGE_API_KEY
run() {
	printf '\n$ tranche'
	for a in "$@"; do
		case "$a" in
		*\'*) printf ' "%s"' "$a" ;;
		*[\ \{\|\*\$]*) printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '\n'
	"$t" "$@"
}
# a shell line, shown as it is written (tranche is the function above)
show() {
	printf '\n$ %s\n' "$1"
	eval "$1"
}
note() {
	echo
	for line in "$@"; do printf '# %s\n' "$line"; done
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/tranche-demo.XXXXXX")
cd "$dir"

demo_stocks() {
	echo "tranche demo — the stocks example, in $dir"

	note "a project: daily stock prices (Alpha Vantage's TIME_SERIES_DAILY) loaded into DuckDB," \
		"one trading day and symbol at a time. Without ALPHAVANTAGE_API_KEY it reads the sample" \
		"files in sample/ (every weekday of 2025 for IBM, AAPL and MSFT) instead of the API."
	run init stocks --example stocks
	cd stocks

	note "the clock: tranche's partitions are the days that are over, so the demo fixes the time." \
		"New Year's Eve 2025, 6 pm in New York: the market has closed, but 31 December is a" \
		"partition only once the day is over in New York, at midnight."
	show "export TRANCHE_NOW=2025-12-31T18:00:00-05:00"

	note "symbols are dynamic partitions: a list you add to (MSFT comes later). Each asset's" \
		"partitions: raw_prices one per symbol, daily_prices and moving_average_20d one per" \
		"trading day and symbol (259 days x 2), weekly_summary one per week that is over and symbol"
	run partitions add symbols IBM AAPL
	run assets

	note "the first backfill: every partition that exists now. raw_prices fetches each symbol's" \
		"series once (2 requests, not one per day); daily_prices, weekly_summary and" \
		"moving_average_20d have backfill: {policy: single_run}, so each writes a whole range of" \
		"days of one symbol in one step: 1141 partitions in 9 steps"
	run materialize '*' --all
	run status daily_prices

	note "the next morning: 31 December is over, and its partitions are missing"
	show "export TRANCHE_NOW=2026-01-01T06:00:00-05:00"
	run status daily_prices

	note "the incremental day: refresh each symbol's series (one request per symbol), then load" \
		"what is missing downstream — 31 December's daily_prices and moving_average_20d (no week" \
		"ended) — then latest_close, which is not partitioned and is rebuilt whole"
	run materialize raw_prices --all
	run materialize 'daily_prices+' --missing
	run materialize latest_close
	run status daily_prices

	note "a new symbol: its partitions (every trading day since start) are all missing, and the" \
		"same commands load them: one request, then the whole year of MSFT in 3 steps." \
		"(raw_prices is in the pool alphavantage: 5 requests a minute, 25 a day, one at a time," \
		"counted across runs; reads of the sample files call no API and take no pool.)"
	run partitions add symbols MSFT
	run materialize raw_prices --missing
	run materialize 'daily_prices+' --missing
	run materialize latest_close

	note "the warehouse is a DuckDB file: query it"
	run query "SELECT * FROM latest_close"
	run query "SELECT * FROM weekly_summary WHERE symbol = 'IBM' ORDER BY week DESC LIMIT 3"

	note "verify.sql recomputes every table from the sample files with read_csv: 0 mismatches"
	run query @verify.sql

	note "checks ran after each load: one line per check and partition (1560); none failed," \
		"so tranche checks exits 0"
	show "tranche checks | sed -n 1,4p"
	show "tranche checks | grep -c passed"

	note "what does loading one partition do? explain says: its window, the parameters its SQL" \
		"sees, the 20 upstream partitions it reads (time_window start_offset -19: the day and" \
		"the 19 trading days before it), and the SQL that replaces its slice. It runs nothing."
	run explain moving_average_20d --partition '2025-12-31|IBM'

	echo
	echo "The project is in $dir/stocks: cd there, export TRANCHE_NOW=2026-01-01T06:00:00-05:00,"
	echo "and try 'tranche runs', 'tranche logs last', 'tranche backfills', 'tranche explain raw_prices'."
	echo "With a key (export ALPHAVANTAGE_API_KEY=...) raw_prices asks the API instead."
	echo "(tranche is $t.)"
	echo "Next: docs/tutorial.md builds this project from an empty directory, with a failed day;"
	echo "examples/stocks/README.md; 'make demo-sales' tours the sales example; 'tranche --help'."
}

demo_sales() {
	echo "tranche demo — the sales example, in $dir"

	note "a project: Dagster's ETL tutorial (CSV files -> joined table -> monthly and per-category summaries)"
	run init sales --example sales
	cd sales
	run assets

	note "build every asset and every partition that exists today (one partition per month that is over)"
	run materialize '*' --all

	note "which months are loaded (the months after 2025-12 exist, but the data stops there: they are empty)"
	run status monthly_sales_performance

	note "the warehouse is a DuckDB file: query it"
	run query "SELECT product_category, product_name, total_units_sold, round(total_dollar_amount, 2) AS total_dollar_amount FROM product_performance ORDER BY total_dollar_amount DESC LIMIT 5"
	run query @verify.sql

	note "the check finds the 15 orders whose sales rep or product is unknown (on purpose);" \
		"tranche checks exits 1 when a check of severity error fails, so that scripts can stop"
	rc=0
	run checks || rc=$?
	echo "(exit status $rc)"

	note "what is my partition key, and what does a load bind and replace? --dry-run says"
	run materialize monthly_sales_performance --partition 2024-03-01 --dry-run

	note "the partition engine on its own: why the last monthly partition is the last"
	run partitions explain --def '{type: monthly, start: 2024-01-01}'
	note "time windows follow a timezone's clock: a 23-hour day and a 25-hour day"
	run partitions window --def '{type: daily, start: 2024-01-01, timezone: US/Pacific}' 2024-03-10 2024-11-03
	note "partition mappings: the days a monthly partition reads"
	run partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: monthly, start: 2024-01-01}' --ranges 2024-04-01

	echo
	echo "The project is in $dir/sales: cd there and try 'tranche runs' and 'tranche logs last'"
	echo "(tranche is $t)."
	echo "Next: docs/sales.md walks through this example; 'tranche --help' lists every command."
}

demo_$which
