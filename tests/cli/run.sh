#!/usr/bin/env bash
# Golden-file CLI tests. Each tests/cli/*.t file holds cases:
#
#   # a comment
#   $ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --now 2024-01-03
#   2024-01-01
#   2024-01-02
#   [exit 2]            (optional: expected non-zero exit status)
#
# A case is a line starting with "$ " followed by the expected output (stdout
# and stderr together) up to the next "$ " line, comment or end of file
# (trailing blank lines ignored). Each command runs with bash in a fresh
# temporary directory with `tranche` on PATH. Prints "ok"/"not ok" per case.
# UPDATE=1 rewrites the expected output from the actual (review the diff!).
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
shims=$(mktemp -d)
trap 'rm -rf "$shims"' EXIT
ln -s "$bin" "$shims/tranche"
export PATH="$shims:$PATH"
export TZ=UTC LC_ALL=C
# project fixtures for cases: cp -r "$FIXTURES"/NAME/. . && tranche ...
export FIXTURES="$here/fixtures"
unset TRANCHE_NOW

run_case() { # cmd -> prints output, then [exit N]
	local dir
	dir=$(mktemp -d)
	(cd "$dir" && bash -c "$1" 2>&1; rc=$?; [ $rc -ne 0 ] && echo "[exit $rc]"; exit 0)
	rm -rf "$dir"
}

for file in "$here"/*.t; do
	name=$(basename "$file" .t)
	new=""
	cmd=""
	expected=""
	n=0
	flush() {
		[ -n "$cmd" ] || return 0
		n=$((n + 1))
		actual=$(run_case "$cmd")
		exp=$(printf '%s' "$expected" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
		if [ "$actual" == "$exp" ]; then
			echo "ok $name #$n"
		else
			echo "not ok $name #$n: \$ $cmd"
			diff <(echo "$exp") <(echo "$actual") | sed 's/^/    /' | head -40
		fi
		new+="\$ $cmd"$'\n'"$actual"$'\n\n'
		cmd=""
		expected=""
	}
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ "$line" == '$ '* ]]; then
			flush
			cmd=${line#'$ '}
		elif [[ "$line" == '#'* ]] || [[ -z "$cmd" ]]; then
			flush
			new+="$line"$'\n'
		else
			expected+="$line"$'\n'
		fi
	done <"$file"
	flush
	if [ "${UPDATE:-}" = 1 ]; then printf '%s' "$new" >"$file"; fi
done
