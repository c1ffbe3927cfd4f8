#!/usr/bin/env bash
# Runs the whole suite for one or more build directories: every unit test
# binary (cmocka, TAP output), every CLI golden file (tests/cli/run.sh), the
# docs' examples (tests/docs_examples.py) and the end-to-end scripts
# (tests/e2e/test_*.py, TAP output), and the web UI in headless Chromium
# (tests/browser/test_ui.mjs, TAP output).
# Prints each result, then a closing "N passed, N failed" line; exits 1 on failure.
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
for build in "$@"; do
	echo "== suite: $build"
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$t" 2>&1)
		rc=$?
		p=$(grep -cE '^ok ' <<<"$out")
		f=$(grep -cE '^not ok ' <<<"$out")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		pass=$((pass + p))
		fail=$((fail + f))
		if [ "$f" -ne 0 ]; then
			echo "FAIL $(basename "$t") (exit $rc)"
			echo "$out" | grep -vE '^ok ' | sed 's/^/    /'
		else
			echo "ok   $(basename "$t"): $p tests"
		fi
	done
	out=$(tests/cli/run.sh "$build/tranche" 2>&1)
	p=$(grep -cE '^ok ' <<<"$out")
	f=$(grep -cE '^not ok ' <<<"$out")
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		echo "$out" | grep -vE '^ok ' | sed 's/^/    /'
	fi
	echo "cli: $p passed, $f failed"
	# the examples in README.md and docs/ are tests too
	shim=$(mktemp -d)
	ln -s "$PWD/$build/tranche" "$shim/tranche"
	out=$(python3 tests/docs_examples.py "$shim" README.md docs/*.md 2>&1)
	rm -rf "$shim"
	p=$(grep -cE '^ok ' <<<"$out")
	f=$(grep -cE '^not ok ' <<<"$out")
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$out"; fi
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" -ne 0 ] && echo "$out" | grep -vE '^ok ' | sed 's/^/    /'
	echo "docs: $p passed, $f failed"
	# end to end: real processes killed, interrupted, canceled, on a terminal (tests/e2e)
	p=0
	f=0
	for t in tests/e2e/test_*.py; do
		[ -f "$t" ] || continue
		out=$(timeout 300 python3 "$t" "$build/tranche" 2>&1)
		rc=$?
		tp=$(grep -cE '^ok ' <<<"$out")
		tf=$(grep -cE '^not ok ' <<<"$out")
		if [ "$rc" -ne 0 ] && [ "$tf" -eq 0 ]; then tf=1; fi
		p=$((p + tp))
		f=$((f + tf))
		if [ "$tf" -ne 0 ]; then
			echo "FAIL $(basename "$t") (exit $rc)"
			echo "$out" | grep -vE '^(ok |1\.\.)' | sed 's/^/    /'
		fi
	done
	pass=$((pass + p))
	fail=$((fail + f))
	echo "e2e: $p passed, $f failed"
	# the web UI in headless Chromium against tranche serve (tests/browser)
	if "$build/tranche" help 2>&1 | grep -qE '^ +serve '; then
		out=$(TEST_OUTPUT="$build/test-output/browser" timeout 600 node tests/browser/test_ui.mjs "$build/tranche" 2>&1)
		rc=$?
		p=$(grep -cE '^ok ' <<<"$out")
		f=$(grep -cE '^not ok ' <<<"$out")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		pass=$((pass + p))
		fail=$((fail + f))
		if skip=$(grep -m1 -E '^1\.\.0 # skip' <<<"$out"); then
			echo "browser: skip: ${skip#1..0 # skip }"
		else
			if [ "$f" -ne 0 ]; then
				echo "FAIL tests/browser/test_ui.mjs (exit $rc)"
				echo "$out" | grep -vE '^(ok |1\.\.)' | sed 's/^/    /'
			fi
			echo "browser: $p passed, $f failed (screenshots in $build/test-output/browser)"
		fi
	else
		echo "browser: skip: $build/tranche has no serve command yet"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
