#!/usr/bin/env bash
# make demo: the sales example end to end (docs/sales.md explains every step), then a short
# tour of the partition engine. Runs on the real clock, in a new temporary directory, which it
# leaves in place for you to explore.
set -euo pipefail
build=${1:-build}
t="$(cd "$(dirname "$0")/.." && pwd)/$build/tranche"
unset TRANCHE_NOW
run() {
	printf '\n$ tranche'
	for a in "$@"; do case "$a" in *[\ \{\|\*\$]*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac; done
	printf '\n'
	"$t" "$@"
}
note() {
	echo
	for line in "$@"; do printf '# %s\n' "$line"; done
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/tranche-demo.XXXXXX")
cd "$dir"
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
