# Partitions that fail, and what tranche does about them: nothing written for the failed
# partition, the run failed (exit 1), the others loaded, downstream skipped, --failed and
# --missing to resume; stray rows; command assets failing each way; Ctrl-C and kill -9.
# The failures fixture, TRANCHE_NOW=2024-01-04: daily partitions 2024-01-01 .. 2024-01-03.

# ---- a failing partition ---------------------------------------------------------------

# flaky 2024-01-02 fails: exit 1, nothing written for it, the other days loaded, downstream's 2024-01-02 skipped
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize source,flaky,downstream --all; echo "exit $?"; tranche query "FROM flaky ORDER BY 1" && tranche query "FROM downstream ORDER BY 1" && tranche status flaky && tranche status downstream && tranche runs | sed -E 's/STARTED +DURATION +//; s/[0-9-]{10} [0-9:]{8} +([0-9.]+ s|-) +//'
failed flaky 2024-01-02: running the query: Conversion Error: Could not convert string 'oops' to INT32 (at "CAST(CASE" in LINE 2: CAST(CASE WHEN $partition_key = '2024-01-02' THEN 'oops...)
skipped downstream 2024-01-02: upstream flaky failed
run 1 (backfill 1) failed: 7 steps, 5 succeeded, 1 failed, 1 skipped
see why: tranche logs 1; then retry: tranche backfill resume 1
exit 1
 day        | n
------------+---
 2024-01-01 | 1
 2024-01-03 | 1
(2 rows)
 day        | n10
------------+-----
 2024-01-01 |  10
 2024-01-03 |  10
(2 rows)
flaky: 3 daily partitions
  materialized       2  2024-01-01, 2024-01-03
  failed             1  2024-01-02
  in progress        0
  missing            0
downstream: 3 daily partitions
  materialized       2  2024-01-01, 2024-01-03
  failed             0
  in progress        0
  missing            1  2024-01-02
RUN  STATUS   STEPS  FAILED  SKIPPED  SELECTION                PARTITIONS
1    failure  5/7    1       1        source,flaky,downstream  all

# the run's log: the error of the failed step and why the downstream one was skipped
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize source,flaky,downstream --all --jobs 1 >/dev/null 2>&1; tranche logs last | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//' && tranche runs --json | python3 -c 'import json, sys; [print(r["status"], r["steps"], r["error"]) for r in json.load(sys.stdin)]'
run_start
step_start      source
materialization source: 3 rows
step_success    source
step_start      flaky 2024-01-01
materialization flaky 2024-01-01: 1 row
step_success    flaky 2024-01-01
step_start      flaky 2024-01-02
step_failure    flaky 2024-01-02: running the query: Conversion Error: Could not convert string 'oops' to INT32 (at "CAST(CASE" in LINE 2: CAST(CASE WHEN $partition_key = '2024-01-02' THEN 'oops...)
step_skipped    downstream 2024-01-02: upstream flaky failed
step_start      flaky 2024-01-03
materialization flaky 2024-01-03: 1 row
step_success    flaky 2024-01-03
step_start      downstream 2024-01-01
materialization downstream 2024-01-01: 1 row
step_success    downstream 2024-01-01
step_start      downstream 2024-01-03
materialization downstream 2024-01-03: 1 row
step_success    downstream 2024-01-03
run_failure
run 1: failure
failure {'total': 7, 'succeeded': 5, 'failed': 1, 'skipped': 1} asset flaky partition 2024-01-02: running the query: Conversion Error: Could not convert string 'oops' to INT32 (at "CAST(CASE" in LINE 2: CAST(CASE WHEN $partition_key = '2024-01-02' THEN 'oops...)

# a partition that loaded before keeps its rows when a later attempt fails
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i "s/THEN 'oops'/THEN '2'/" tranche.yaml && tranche materialize source,flaky --all >/dev/null && sed -i "s/THEN '2'/THEN 'oops'/" tranche.yaml && tranche materialize flaky --partition 2024-01-02 2>&1 | head -1 | cut -c1-80; tranche query "FROM flaky ORDER BY 1" && tranche status flaky
failed flaky 2024-01-02: running the query: Conversion Error: Could not convert 
 day        | n
------------+---
 2024-01-01 | 1
 2024-01-02 | 2
 2024-01-03 | 1
(3 rows)
flaky: 3 daily partitions
  materialized       2  2024-01-01, 2024-01-03
  failed             1  2024-01-02
  in progress        0
  missing            0

# --missing is every partition not materialized (failed ones included), --failed only the failed ones
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize source >/dev/null && tranche materialize flaky --partition 2024-01-01...2024-01-02 >/dev/null 2>&1; tranche status flaky && tranche materialize flaky --missing -n | grep -v '^ ' && tranche materialize flaky --failed -n | grep -v '^ '
flaky: 3 daily partitions
  materialized       1  2024-01-01
  failed             1  2024-01-02
  in progress        0
  missing            1  2024-01-03
plan: 2 steps, 2 partitions of 1 asset (dry run: nothing is written)
flaky 2024-01-02
flaky 2024-01-03
plan: 1 step, 1 partition of 1 asset (dry run: nothing is written)
flaky 2024-01-02

# --failed after fixing the cause retries exactly the failed partition; --missing then runs the skipped one
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize source,flaky,downstream --all >/dev/null 2>&1; sed -i "s/THEN 'oops'/THEN '2'/" tranche.yaml && tranche materialize 'source,flaky,downstream' --failed && tranche logs last | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//' && tranche status downstream && tranche materialize 'source,flaky,downstream' --missing && tranche query "FROM downstream ORDER BY 1" && tranche materialize 'source,flaky,downstream' --failed
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
run_start
step_start      flaky 2024-01-02
materialization flaky 2024-01-02: 1 row
step_success    flaky 2024-01-02
run_success
run 2: success
downstream: 3 daily partitions
  materialized       2  2024-01-01, 2024-01-03
  failed             0
  in progress        0
  missing            1  2024-01-02
run 3 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 day        | n10
------------+-----
 2024-01-01 |  10
 2024-01-02 |  20
 2024-01-03 |  10
(3 rows)
nothing to do: no partition of the selection matches

# ---- rows outside the partition ---------------------------------------------------------

# refused with the number of stray rows; nothing written (no table)
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize stray --partition 2024-01-02; echo "exit $?"; tranche query "SELECT count(*) FROM information_schema.tables WHERE table_name = 'stray'" && tranche status stray | head -3
failed stray 2024-01-02: 1 of the 2 rows fall outside the partition being written (slice: (day) >= $partition_start AND (day) < $partition_end): fix the query or set outside_rows: drop
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'stray' --failed
exit 1
 count_star()
--------------
            0
(1 row)
stray: 3 daily partitions
  materialized       0
  failed             1  2024-01-02

# ... and when the table exists, its rows stay as they were
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i '/^  stray:/a\    outside_rows: drop  # for a while' tranche.yaml && tranche materialize stray --all >/dev/null && sed -i '/# for a while/d' tranche.yaml && tranche materialize stray --partition 2024-01-02 2>&1 | head -1; tranche query "SELECT day, count(*) FROM stray GROUP BY ALL ORDER BY 1"
failed stray 2024-01-02: 1 of the 2 rows fall outside the partition being written (slice: (day) >= $partition_start AND (day) < $partition_end): fix the query or set outside_rows: drop
 day        | count_star()
------------+--------------
 2024-01-01 |            1
 2024-01-02 |            1
 2024-01-03 |            1
(3 rows)

# outside_rows: drop loads the partition's rows and records how many were dropped
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize stray_dropped --all --jobs 1 && tranche query "SELECT day, count(*) FROM stray_dropped GROUP BY ALL ORDER BY 1" && tranche logs last --json | python3 -c 'import json, sys; [print(e["partition"], e["data"]["row_count"], e["data"]["rows_dropped_outside"]) for e in map(json.loads, sys.stdin) if e["type"] == "materialization"]'
run 1 (backfill 1) succeeded: 3 steps, 3 succeeded, 0 failed, 0 skipped
 day        | count_star()
------------+--------------
 2024-01-01 |            1
 2024-01-02 |            1
 2024-01-03 |            1
(3 rows)
2024-01-01 1 1
2024-01-02 1 1
2024-01-03 1 1

# ---- command assets that fail --------------------------------------------------------

# killed by a signal: its last output line in the error, all of it in the log
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize crasher --partition 2024-01-01; echo "exit $?"; tranche logs last --asset crasher | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//' && tranche query "SELECT count(*) FROM information_schema.tables WHERE table_name = 'crasher'"
failed crasher 2024-01-01: the command was killed by signal 9 (Killed) (its last output line: "about to crash"; all of it: tranche logs 1)
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'crasher' --failed
exit 1
step_start      crasher 2024-01-01
log             crasher 2024-01-01: about to crash
step_failure    crasher 2024-01-01: the command was killed by signal 9 (Killed) (its last output line: "about to crash"; all of it: tranche logs 1)
run 1: failure
 count_star()
--------------
            0
(1 row)

# a non-zero exit status: its standard error in the message and in tranche logs
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize quitter; echo "exit $?"; tranche logs last | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//' && tranche status quitter
failed quitter: the command exited with status 3 (its last stderr line: "no data today"; all of it: tranche logs 1)
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'quitter' --failed
exit 1
run_start
step_start      quitter
log             quitter: no data today
step_failure    quitter: the command exited with status 3 (its last stderr line: "no data today"; all of it: tranche logs 1)
run_failure
run 1: failure
quitter: unpartitioned
  materialized       0
  failed             1
  in progress        0
  missing            0

# a timeout: stopped after 1 s (not 30), the partition failed
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && start=$(date +%s) && tranche materialize sleeper 2>&1 | sed -E 's/after [0-9]+ ms/after N ms/'; echo "took less than 5 s: $(( $(date +%s) - start < 5 ))" && tranche status sleeper | head -3
failed sleeper: the command timed out after N ms (timeout: 1000 ms) (its last output line: "sleeping"; all of it: tranche logs 1)
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'sleeper' --failed
took less than 5 s: 1
sleeper: unpartitioned
  materialized       0
  failed             1

# exit 0 but no output written
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize silent; echo "exit $?"; tranche query "SELECT count(*) FROM information_schema.tables WHERE table_name = 'silent'"
failed silent: the command exited with status 0 but wrote no rows: it must write them to $TRANCHE_OUTPUT (.tranche/runs/1/silent/0-1/output.csv, format csv)
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'silent' --failed
exit 1
 count_star()
--------------
            0
(1 row)

# output that is not in the declared format
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize bad_output; echo "exit $?"; tranche query "SELECT count(*) FROM information_schema.tables WHERE table_name = 'bad_output'"
failed bad_output: reading .tranche/runs/1/bad_output/0-1/output.json as json: Invalid Input Error: Malformed JSON in file ".tranche/runs/1/bad_output/0-1/output.json", at byte 1 in record/value 2: invalid literal. (at "read_json_auto($tranche_file)" in LINE 1: CREATE OR REPLACE TABLE "bad_output" AS SELECT * FROM read_json_auto($tranche_file))
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'bad_output' --failed
exit 1
 count_star()
--------------
            0
(1 row)

# ---- checks --------------------------------------------------------------------------

# a failing blocking error check: the partition is written, its downstream partition skipped,
# tranche checks exits 1; --failed has nothing to retry (nothing failed), --missing runs the skipped one
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize 'gated+' --all; echo "exit $?"; tranche checks; echo "exit $?"; tranche status gated_after && tranche query "FROM gated ORDER BY 1" && tranche materialize 'gated+' --failed && tranche materialize 'gated+' --missing 2>&1 && tranche status gated_after | head -2
skipped gated_after 2024-01-02: upstream gated failed a blocking check
run 1 (backfill 1) failed: 6 steps, 5 succeeded, 0 failed, 1 skipped
1 check did not pass: tranche checks
see why: tranche logs 1; then retry: tranche backfill resume 1
exit 1
ASSET  CHECK       PARTITION   RESULT  SEVERITY  DETAILS
gated  few_rows    2024-01-01  passed  warn      passed
gated  few_rows    2024-01-02  passed  warn      passed
gated  few_rows    2024-01-03  passed  warn      passed
gated  n_positive  2024-01-01  passed  error     passed
gated  n_positive  2024-01-02  FAILED  error     1 failing row
gated  n_positive  2024-01-03  passed  error     passed
exit 1
gated_after: 3 daily partitions
  materialized       2  2024-01-01, 2024-01-03
  failed             0
  in progress        0
  missing            1  2024-01-02
 day        |  n
------------+----
 2024-01-01 |  1
 2024-01-02 | -1
 2024-01-03 |  1
(3 rows)
nothing to do: no partition of the selection matches
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
gated_after: 3 daily partitions
  materialized       3  2024-01-01...2024-01-03

# ... the failing rows are recorded with the check result
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize gated --partition 2024-01-02 >/dev/null; tranche logs last --json | python3 -c 'import json, sys; [print(e["check"], e["message"], e["data"]) for e in map(json.loads, sys.stdin) if e["type"] == "check"]' && tranche checks gated --json | python3 -c 'import json, sys; [print({k: v for k, v in c.items() if k != "ts"}) for c in json.load(sys.stdin)]'
n_positive 1 failing row {'passed': False, 'severity': 'error', 'failing_rows': 1, 'sample': [{'day': '2024-01-02', 'n': -1}]}
few_rows passed {'passed': True, 'severity': 'warn', 'failing_rows': 0}
{'asset': 'gated', 'check': 'few_rows', 'partition': '2024-01-02', 'passed': True, 'severity': 'warn', 'message': 'passed', 'run_id': 1}
{'asset': 'gated', 'check': 'n_positive', 'partition': '2024-01-02', 'passed': False, 'severity': 'error', 'message': '1 failing row', 'run_id': 1}

# ---- interrupted runs ----------------------------------------------------------------

# Ctrl-C: the run is canceled (exit 130), the command's processes stopped, the partition back to missing, nothing written
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && { tranche materialize sleeper_long --all & pid=$!; for i in $(seq 200); do [ -s sleeper_long.pid ] && break; sleep 0.05; done; kill -INT $pid; wait $pid; echo "exit $?"; } && for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- -"$(cat sleeper_long.pid)" 2>/dev/null || break; sleep 0.2; done; kill -0 -- -"$(cat sleeper_long.pid)" 2>/dev/null && echo "the command still runs"; tranche runs | sed -E 's/STARTED +DURATION +//; s/[0-9-]{10} [0-9:]{8} +([0-9.]+ s|-) +//' && tranche status sleeper_long && tranche query "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sleeper_long'"
canceling… (press Ctrl-C again to force)
run 1 (backfill 1) canceled: 3 steps, 0 succeeded, 0 failed, 0 skipped, 3 not run
resume: tranche backfill resume 1
exit 130
RUN  STATUS    STEPS  FAILED  SKIPPED  SELECTION     PARTITIONS
1    canceled  0/3    0       0        sleeper_long  all
sleeper_long: 3 daily partitions
  materialized       0
  failed             0
  in progress        0
  missing            3  2024-01-01...2024-01-03
 count_star()
--------------
            0
(1 row)

# one writer at a time: while a run goes, query and materialize are refused naming the process;
# status, runs and checks read only the instance storage and answer
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && { tranche materialize sleeper_long --partition 2024-01-03 & pid=$!; for i in $(seq 200); do [ -s sleeper_long.pid ] && break; sleep 0.05; done; tranche query "SELECT 1" 2>&1 | sed "s/PID $pid/PID N/"; echo "exit ${PIPESTATUS[0]}"; tranche materialize stray_dropped --all 2>&1 | sed "s/PID $pid/PID N/"; echo "exit ${PIPESTATUS[0]}"; tranche status sleeper_long | grep progress; tranche runs --json | python3 -c 'import json, sys; [print(r["id"], r["status"], r["ended_at"]) for r in json.load(sys.stdin)]'; tranche checks; echo "exit $?"; kill -INT $pid; wait $pid; echo "exit $?"; }
tranche: warehouse data/warehouse.duckdb is in use by another process (PID N): only one tranche process can write a DuckDB warehouse at a time
exit 1
tranche: warehouse data/warehouse.duckdb is in use by another process (PID N): only one tranche process can write a DuckDB warehouse at a time
exit 1
  in progress        1  2024-01-03
1 started None
(no check has run yet)
exit 0
canceling… (press Ctrl-C again to force)
run 1 canceled: 1 step, 0 succeeded, 0 failed, 0 skipped, 1 not run
exit 130

# kill -9 of tranche mid-run: the next command marks the run failed, the partition is not left in progress
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && { tranche materialize sleeper_long --partition 2024-01-02 & pid=$!; for i in $(seq 200); do [ -s sleeper_long.pid ] && break; sleep 0.05; done; kill -9 $pid; wait $pid 2>/dev/null; echo "exit $?"; kill -- -"$(cat sleeper_long.pid)"; } && tranche runs | sed -E 's/STARTED +DURATION +//; s/[0-9-]{10} [0-9:]{8} +([0-9.]+ s|-) +//' && tranche runs --json | python3 -c 'import json, sys, re; [print(r["status"], re.sub(r"pid \d+", "pid N", r["error"])) for r in json.load(sys.stdin)]' && tranche status sleeper_long && tranche query "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sleeper_long'" && tranche materialize sleeper_long --failed && tranche materialize sleeper_long --missing -n | grep -v '^ '
exit 137
RUN  STATUS   STEPS  FAILED  SKIPPED  SELECTION     PARTITIONS
1    failure  0/1    0       0        sleeper_long  2024-01-02
failure the tranche process (pid N) ended without finishing the run
sleeper_long: 3 daily partitions
  materialized       0
  failed             0
  in progress        0
  missing            3  2024-01-01...2024-01-03
 count_star()
--------------
            0
(1 row)
nothing to do: no partition of the selection matches
plan: 3 steps, 3 partitions of 1 asset (dry run: nothing is written)
sleeper_long 2024-01-01
sleeper_long 2024-01-02
sleeper_long 2024-01-03

# Ctrl-C during a long query: DuckDB's statement is interrupted at once, the partition keeps its
# rows and its status (materialized before), the run is canceled
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i 's/range(100000000000)/range(10)/' tranche.yaml && tranche materialize slow_sql --partition 2024-01-02 && sed -i 's/range(10)/range(100000000000)/' tranche.yaml && start=$(date +%s) && { tranche materialize slow_sql --partition 2024-01-02 & pid=$!; for i in $(seq 200); do tranche status slow_sql --json | grep -q '"in_progress":1' && break; sleep 0.05; done; sleep 0.2; kill -INT $pid; wait $pid; echo "exit $?"; } && echo "took less than 5 s: $(( $(date +%s) - start < 5 ))" && tranche status slow_sql && tranche query "SELECT day, count(*) FROM slow_sql GROUP BY ALL" && tranche logs last | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//'
run 1 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
canceling… (press Ctrl-C again to force)
run 2 canceled: 1 step, 0 succeeded, 0 failed, 0 skipped, 1 not run
exit 130
took less than 5 s: 1
slow_sql: 3 daily partitions
  materialized       1  2024-01-02
  failed             0
  in progress        0
  missing            2  2024-01-01, 2024-01-03
 day        | count_star()
------------+--------------
 2024-01-02 |            1
(1 row)
run_start
step_start      slow_sql 2024-01-02
log             slow_sql 2024-01-02: canceled: the partition was rolled back, nothing was written
run_canceled
run 2: canceled

# kill -9 during a long query: the uncommitted load is discarded, the old rows stay, the run is marked failed
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i 's/range(100000000000)/range(10)/' tranche.yaml && tranche materialize slow_sql --partition 2024-01-02 && sed -i 's/range(10)/range(100000000000)/' tranche.yaml && { tranche materialize slow_sql --partition 2024-01-02 & pid=$!; for i in $(seq 200); do tranche status slow_sql --json | grep -q '"in_progress":1' && break; sleep 0.05; done; sleep 0.2; kill -9 $pid; wait $pid 2>/dev/null; echo "exit $?"; } && tranche status slow_sql && tranche query "SELECT day, count(*) FROM slow_sql GROUP BY ALL" && tranche runs | sed -E 's/STARTED +DURATION +//; s/[0-9-]{10} [0-9:]{8} +([0-9.]+ s|-) +//'
run 1 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
exit 137
slow_sql: 3 daily partitions
  materialized       1  2024-01-02
  failed             0
  in progress        0
  missing            2  2024-01-01, 2024-01-03
 day        | count_star()
------------+--------------
 2024-01-02 |            1
(1 row)
RUN  STATUS   STEPS  FAILED  SKIPPED  SELECTION  PARTITIONS
2    failure  0/1    0       0        slow_sql   2024-01-02
1    success  1/1    0       0        slow_sql   2024-01-02

# ---- time zones ----------------------------------------------------------------------------

# a TIMESTAMPTZ column meets the slice in the partitions' zone, whatever the machine's TZ:
# 03:00 UTC on 2 March is 22:00 on 1 March in New York, so it is the 1 March partition's row
$ printf 'name: tz\nassets:\n  payments:\n    partitions: {type: daily, start: 2024-03-01, timezone: America/New_York}\n    partition_expr: paid_at\n    sql: SELECT TIMESTAMPTZ %s AS paid_at, 1 AS amount\n' "'2024-03-02 03:00:00+00'" > tranche.yaml && export TRANCHE_NOW=2024-03-03T12:00:00Z && TZ=UTC tranche materialize payments --partition 2024-03-01 && TZ=Asia/Tokyo tranche materialize payments --partition 2024-03-01 && TZ=Asia/Tokyo tranche materialize payments --partition 2024-03-02; echo "exit $?"
run 1 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
failed payments 2024-03-02: 1 of the 1 rows fall outside the partition being written (slice: (paid_at) >= $partition_start AND (paid_at) < $partition_end): fix the query or set outside_rows: drop
run 3 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 3; then retry: tranche materialize 'payments' --failed
exit 1

