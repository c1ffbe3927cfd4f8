#!/usr/bin/env bash
# make demo: a tour of the partition engine on the example definitions
# (the stock-prices project becomes the demo once assets land).
set -euo pipefail
build=${1:-build}
t="$(cd "$(dirname "$0")/.." && pwd)/$build/tranche"
export TRANCHE_NOW=2024-05-20T14:00:00Z
run() {
	printf '\n$ tranche'
	for a in "$@"; do case "$a" in *[\ \{\|]*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac; done
	printf '\n'
	"$t" "$@"
}
echo "tranche demo — the partition engine (TRANCHE_NOW=$TRANCHE_NOW)"
run partitions explain --def '{type: daily, start: 2024-05-01, timezone: America/New_York}'
run partitions keys --def '{type: weekly, start: 2024-04-01, day_offset: 1}'
run partitions keys --def '{type: multi, dimensions: {date: {type: daily, start: 2024-05-17}, symbol: {type: static, keys: [AAPL, IBM, MSFT]}}}'
run partitions window --def '{type: hourly, start: 2024-11-03-00:00, timezone: US/Pacific}' 2024-11-03-01:00 2024-11-03-01:00-0800
run partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: monthly, start: 2024-01-01}' --json 2024-04-01
echo
echo "Next: docs/partitions.md explains these; 'tranche partitions --help' lists every command."
