# tranche materialize and the commands around it (assets, status, logs, runs, checks, query,
# wipe) on the kinds fixture: every asset kind and every partitions type.
# TRANCHE_NOW=2024-01-04: daily partitions 2024-01-01 .. 2024-01-03.

# ---- each kind of asset, each partitions type -------------------------------------------

# sql, unpartitioned, then a daily sql asset reading it: every day written once
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders,daily_orders --all && tranche query "SELECT day, count(*) AS orders, sum(qty) AS qty FROM daily_orders GROUP BY ALL ORDER BY 1" && tranche status daily_orders
run 1 (backfill 1) succeeded: 4 steps, 4 succeeded, 0 failed, 0 skipped
 day        | orders | qty
------------+--------+-----
 2024-01-01 |      2 |   4
 2024-01-02 |      2 |   7
 2024-01-03 |      1 |   7
(3 rows)
daily_orders: 3 daily partitions
  materialized       3  2024-01-01...2024-01-03
  failed             0
  in progress        0
  missing            0

# an unpartitioned asset is replaced whole: same rows after a second run, new rows after the source changed
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders && tranche materialize orders && tranche query "SELECT count(*) AS n, sum(qty) AS qty FROM orders" && sed -i "s/(5, DATE '2024-01-03', 'Toys', 'eu', 7, 'AAPL')/(5, DATE '2024-01-03', 'Toys', 'eu', 70, 'AAPL')/" tranche.yaml && tranche materialize orders && tranche query "SELECT count(*) AS n, sum(qty) AS qty FROM orders" && tranche status orders
run 1 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 n | qty
---+-----
 5 |  18
(1 row)
run 3 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 n | qty
---+-----
 5 |  81
(1 row)
orders: unpartitioned
  materialized       1
  failed             0
  in progress        0
  missing            0

# static partitions: a key with spaces is a bound parameter, no quoting needed
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize by_category --partition 'Home and Garden' && tranche query "FROM by_category" && tranche materialize by_category --all && tranche query "FROM by_category ORDER BY 1" && tranche status by_category
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 category        | orders | qty
-----------------+--------+-----
 Home and Garden |      1 |   5
(1 row)
run 3 (backfill 1) succeeded: 3 steps, 3 succeeded, 0 failed, 0 skipped
 category        | orders | qty
-----------------+--------+-----
 Books           |      2 |   5
 Home and Garden |      1 |   5
 Toys            |      2 |   8
(3 rows)
by_category: 3 static partitions
  materialized       3  Books...Home and Garden
  failed             0
  in progress        0
  missing            0

# multi partitions, 3 dimensions: keys are the dimensions sorted by name (category|day|region)
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize cube --partition 'Home and Garden|2024-01-02|eu' && tranche query "FROM cube" && tranche materialize cube --all && tranche query "FROM cube ORDER BY ALL" && tranche status cube --json
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 day        | category        | region | qty
------------+-----------------+--------+-----
 2024-01-02 | Home and Garden | eu     |   5
(1 row)
run 3 (backfill 1) succeeded: 18 steps, 18 succeeded, 0 failed, 0 skipped
 day        | category        | region | qty
------------+-----------------+--------+-----
 2024-01-01 | Books           | eu     |   3
 2024-01-01 | Toys            | us     |   1
 2024-01-02 | Books           | us     |   2
 2024-01-02 | Home and Garden | eu     |   5
 2024-01-03 | Toys            | eu     |   7
(5 rows)
{"asset":"cube","total":18,"counts":{"materialized":18,"stale":0,"failed":0,"in_progress":0,"missing":0},"ranges":{"materialized":["Books|2024-01-01|eu...Home and Garden|2024-01-03|us"],"stale":[],"failed":[],"in_progress":[],"missing":[]}}

# the wrong order of the dimensions is refused, naming the dimension
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize cube --partition '2024-01-02|Home and Garden|eu'
tranche: asset cube (multi partitions): partition key "2024-01-02|Home and Garden|eu", dimension "category": unknown partition key "2024-01-02"; valid keys: "Books", "Toys", "Home and Garden"
[exit 2]

# dynamic partitions: none before keys are added; then exactly the keys added; --missing then runs the new one only
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize by_symbol --all && tranche partitions add symbols IBM AAPL && tranche materialize by_symbol --all && tranche query "FROM by_symbol ORDER BY 1" && tranche partitions add symbols MSFT && tranche materialize by_symbol --missing && tranche query "FROM by_symbol ORDER BY 1" && tranche status by_symbol
nothing to do: no partition of the selection matches
added 2 keys to dynamic partitions "symbols" (0 already there)
run 2 (backfill 1) succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
 symbol | orders
--------+--------
 AAPL   |      2
 IBM    |      2
(2 rows)
added 1 key to dynamic partitions "symbols" (0 already there)
run 3 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 symbol | orders
--------+--------
 AAPL   |      2
 IBM    |      2
 MSFT   |      1
(3 rows)
by_symbol: 3 dynamic partitions
  materialized       3  IBM...MSFT
  failed             0
  in progress        0
  missing            0

# a script asset writes its own table; running a day again replaces it (the script deletes it first)
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize scripted --all && tranche materialize scripted --partition 2024-01-02 && tranche query "FROM scripted ORDER BY 1" && tranche status scripted
run 2 (backfill 1) succeeded: 3 steps, 3 succeeded, 0 failed, 0 skipped
run 3 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 day        | n
------------+---
 2024-01-01 | 2
 2024-01-02 | 2
 2024-01-03 | 1
(3 rows)
scripted: 3 daily partitions
  materialized       3  2024-01-01...2024-01-03
  failed             0
  in progress        0
  missing            0

# a command asset: its rows loaded per day, its output in the log, its reported metadata recorded
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize fetched --all --jobs 1 && tranche query "FROM fetched ORDER BY 1" && tranche logs last --asset fetched | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//' && tranche logs last --json | python3 -c 'import json, sys; [print(e["partition"], e["data"]["row_count"], e["data"]["reported"]) for e in map(json.loads, sys.stdin) if e["type"] == "materialization"]'
run 1 (backfill 1) succeeded: 3 steps, 3 succeeded, 0 failed, 0 skipped
 day        | value
------------+-------
 2024-01-01 |    42
 2024-01-02 |    42
 2024-01-03 |    42
(3 rows)
step_start      fetched 2024-01-01
log             fetched 2024-01-01: fetching 2024-01-01
materialization fetched 2024-01-01: 1 row
step_success    fetched 2024-01-01
step_start      fetched 2024-01-02
log             fetched 2024-01-02: fetching 2024-01-02
materialization fetched 2024-01-02: 1 row
step_success    fetched 2024-01-02
step_start      fetched 2024-01-03
log             fetched 2024-01-03: fetching 2024-01-03
materialization fetched 2024-01-03: 1 row
step_success    fetched 2024-01-03
run 1: success
2024-01-01 1 {'source': 'shell'}
2024-01-02 1 {'source': 'shell'}
2024-01-03 1 {'source': 'shell'}

# a command asset's environment: TRANCHE_* (multi partitions: each dimension's key, the time
# dimension's window) and the asset's env, written into its rows by the fixture's env_dump
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize env_dump --partition '2024-01-02|us' && tranche query "SELECT name, value FROM env_dump ORDER BY name" --csv && tranche query "SELECT DISTINCT day, region FROM env_dump"
run 1 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
name,value
API_BASE,https://example.com/api
RETRIES,3
TRANCHE_ASSET,env_dump
TRANCHE_MESSAGES,.tranche/runs/1/env_dump/0-1/messages.jsonl
TRANCHE_OUTPUT,.tranche/runs/1/env_dump/0-1/output.csv
TRANCHE_OUTPUT_FORMAT,csv
TRANCHE_PARTITION_END,2024-01-03T00:00:00
TRANCHE_PARTITION_END_DAY,2024-01-03T00:00:00
TRANCHE_PARTITION_KEY,2024-01-02|us
TRANCHE_PARTITION_KEYS,"[""2024-01-02|us""]"
TRANCHE_PARTITION_KEY_DAY,2024-01-02
TRANCHE_PARTITION_KEY_REGION,us
TRANCHE_PARTITION_START,2024-01-02T00:00:00
TRANCHE_PARTITION_START_DAY,2024-01-02T00:00:00
TRANCHE_RUN_ID,1
 day        | region
------------+--------
 2024-01-02 | us
(1 row)

# TRANCHE_MESSAGES: a log line, metadata (recorded under "reported"), checks, a line that is not a message
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize reporter && tranche logs last | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//' && tranche logs last --json | python3 -c 'import json, sys; [print(e["data"]["reported"]) for e in map(json.loads, sys.stdin) if e["type"] == "materialization"]' && tranche checks | sed 's/ *$//' && tranche query "FROM reporter"
run 1 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
1 check did not pass: tranche checks
run_start
step_start      reporter
log             reporter: fetched 2 rows from the API
check           reporter no_gaps: failed: 2 days missing
check           reporter fresh: passed
log             reporter: TRANCHE_MESSAGES line 5 ignored: not a JSON object
materialization reporter: 2 rows
step_success    reporter
run_success
run 1: success
{'api_calls': 3, 'source': 'example'}
ASSET     CHECK    PARTITION  RESULT  SEVERITY  DETAILS
reporter  fresh    -          passed  warn      passed
reporter  no_gaps  -          FAILED  warn      failed: 2 days missing
 id | name
----+------
  1 | a
  2 | b
(2 rows)

# keys are bound parameters, never SQL text: a quote and a semicolon in a static key
$ printf 'name: q\nassets:\n  pubs:\n    partitions: {type: static, keys: ["O%sReilly", "a; DROP TABLE pubs; --"]}\n    partition_expr: k\n    sql: SELECT $partition_key AS k, length($partition_key) AS n\n' "'" > tranche.yaml && tranche materialize pubs --all && tranche materialize pubs --partition "O'Reilly" && tranche query "FROM pubs ORDER BY 1" && tranche status pubs
run 1 (backfill 1) succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 k                      |  n
------------------------+----
 O'Reilly               |  8
 a; DROP TABLE pubs; -- | 22
(2 rows)
pubs: 2 static partitions
  materialized       2  O'Reilly...a; DROP TABLE pubs; --
  failed             0
  in progress        0
  missing            0

# a parameter the asset does not have: the partition fails, naming the ones it has
$ printf 'name: q\nassets:\n  cats:\n    partitions: {type: static, keys: [a, b]}\n    partition_expr: k\n    sql: SELECT $partition_key AS k, $partition_start AS s\n  plain:\n    sql: SELECT $partition_key AS k\n' > tranche.yaml && tranche materialize cats --partition a; tranche materialize plain
failed cats a: running the query: SQL uses $partition_start, which tranche does not provide (available: $partition_key, $partition_keys)
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'cats' --failed
failed plain: running the query: SQL uses $partition_key, which tranche does not provide (available: none)
run 2 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 2; then retry: tranche materialize 'plain' --failed
[exit 1]

# ---- materializing a partition again --------------------------------------------------

# no duplicates, only the partition asked for is replaced: the source changed for 2024-01-01
# and 2024-01-02, only 2024-01-02 is written again (2024-01-01 keeps its old rows)
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders,daily_orders --all >/dev/null && tranche query "SELECT day, count(*) AS n, sum(qty) AS qty FROM daily_orders GROUP BY ALL ORDER BY 1" && sed -i "s/(1, DATE '2024-01-01', 'Books', 'eu', 3, 'IBM')/(1, DATE '2024-01-01', 'Books', 'eu', 30, 'IBM')/; s/(4, DATE '2024-01-02', 'Books', 'us', 2, 'MSFT')/(4, DATE '2024-01-02', 'Books', 'us', 20, 'MSFT'), (6, DATE '2024-01-02', 'Toys', 'us', 4, 'IBM')/" tranche.yaml && tranche materialize orders && tranche materialize daily_orders --partition 2024-01-02 && tranche query "SELECT day, count(*) AS n, sum(qty) AS qty FROM daily_orders GROUP BY ALL ORDER BY 1" && tranche logs last --json | python3 -c 'import json, sys; [print(e["asset"], e["partition"], e["message"], {k: e["data"][k] for k in ("row_count", "rows_deleted", "metadata")}) for e in map(json.loads, sys.stdin) if e["type"] == "materialization"]'
 day        | n | qty
------------+---+-----
 2024-01-01 | 2 |   4
 2024-01-02 | 2 |   7
 2024-01-03 | 1 |   7
(3 rows)
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
run 3 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 day        | n | qty
------------+---+-----
 2024-01-01 | 2 |   4
 2024-01-02 | 3 |  29
 2024-01-03 | 1 |   7
(3 rows)
daily_orders 2024-01-02 3 rows {'row_count': 3, 'rows_deleted': 2, 'metadata': {'total_qty': 29}}

# the same day twice in a row: same rows, no duplicates
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize daily_orders --partition 2024-01-02 && tranche materialize daily_orders --partition 2024-01-02 && tranche query "FROM daily_orders ORDER BY ALL" && tranche status daily_orders
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
run 3 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 day        | category        | qty
------------+-----------------+-----
 2024-01-02 | Books           |   2
 2024-01-02 | Home and Garden |   5
(2 rows)
daily_orders: 3 daily partitions
  materialized       1  2024-01-02
  failed             0
  in progress        0
  missing            2  2024-01-01, 2024-01-03

# ---- schema changes ---------------------------------------------------------------------

# a new column and a retyped one: refused with the differences, nothing written
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders,daily_orders --all >/dev/null && sed -i 's/SELECT day, category, qty FROM orders/SELECT day, category, region, CAST(qty AS DOUBLE) AS qty FROM orders/' tranche.yaml && tranche materialize daily_orders --partition 2024-01-02; echo "exit $?"; tranche query "DESCRIBE daily_orders" --csv | cut -d, -f1,2 && tranche query "SELECT day, count(*) FROM daily_orders GROUP BY ALL ORDER BY 1" && tranche status daily_orders
failed daily_orders 2024-01-02: columns changed: added region VARCHAR; qty INTEGER -> DOUBLE: set on_schema_change: add_columns to add new columns, or wipe the asset to rebuild it
run 2 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 2; then retry: tranche materialize 'daily_orders' --failed
exit 1
column_name,column_type
day,DATE
category,VARCHAR
qty,INTEGER
 day        | count_star()
------------+--------------
 2024-01-01 |            2
 2024-01-02 |            2
 2024-01-03 |            1
(3 rows)
daily_orders: 3 daily partitions
  materialized       2  2024-01-01, 2024-01-03
  failed             1  2024-01-02
  in progress        0
  missing            0

# on_schema_change: add_columns adds the new column (older partitions read NULL); removing one is still refused
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders,daily_orders --all >/dev/null && sed -i 's/SELECT day, category, qty FROM orders/SELECT day, category, qty, region FROM orders/; /^  daily_orders:/a\    on_schema_change: add_columns' tranche.yaml && tranche materialize daily_orders --partition 2024-01-02 && tranche query "FROM daily_orders ORDER BY ALL" && sed -i 's/SELECT day, category, qty, region FROM orders/SELECT day, qty, region FROM orders/' tranche.yaml && tranche materialize daily_orders --partition 2024-01-03; echo "exit $?"; tranche query "SELECT day, count(category) FROM daily_orders GROUP BY ALL ORDER BY 1"
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 day        | category        | qty | region
------------+-----------------+-----+--------
 2024-01-01 | Books           |   3 | NULL
 2024-01-01 | Toys            |   1 | NULL
 2024-01-02 | Books           |   2 | us
 2024-01-02 | Home and Garden |   5 | eu
 2024-01-03 | Toys            |   7 | NULL
(5 rows)
failed daily_orders 2024-01-03: columns changed: removed category: set on_schema_change: add_columns to add new columns, or wipe the asset to rebuild it (add_columns adds columns; it does not remove or retype them)
run 3 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 3; then retry: tranche materialize 'daily_orders' --failed
exit 1
 day        | count(category)
------------+-----------------
 2024-01-01 |               2
 2024-01-02 |               2
 2024-01-03 |               1
(3 rows)

# ---- --dry-run: the values bound and the slice; nothing written --------------------------

# daily (and the unpartitioned asset upstream, which binds nothing)
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize +daily_orders --from 2024-01-02 --to 2024-01-03 --dry-run
plan: 3 steps, 3 partitions of 2 assets (dry run: nothing is written)
orders
daily_orders 2024-01-02
  $partition_key                = '2024-01-02'
  $partition_keys               = ['2024-01-02']
  $partition_start              = TIMESTAMP '2024-01-02 00:00:00'
  $partition_end                = TIMESTAMP '2024-01-03 00:00:00'
  slice: (day) >= $partition_start AND (day) < $partition_end
daily_orders 2024-01-03
  $partition_key                = '2024-01-03'
  $partition_keys               = ['2024-01-03']
  $partition_start              = TIMESTAMP '2024-01-03 00:00:00'
  $partition_end                = TIMESTAMP '2024-01-04 00:00:00'
  slice: (day) >= $partition_start AND (day) < $partition_end

# static, a key with spaces
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize by_category --partition 'Home and Garden' -n
plan: 1 step, 1 partition of 1 asset (dry run: nothing is written)
by_category Home and Garden
  $partition_key                = 'Home and Garden'
  $partition_keys               = ['Home and Garden']
  slice: (category) = $partition_key

# multi: every dimension's key, the time dimension's window, one slice term per dimension
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize cube --partition 'Home and Garden|2024-01-02|eu' -n
plan: 1 step, 1 partition of 1 asset (dry run: nothing is written)
cube Home and Garden|2024-01-02|eu
  $partition_key                = 'Home and Garden|2024-01-02|eu'
  $partition_keys               = ['Home and Garden|2024-01-02|eu']
  $partition_key_category       = 'Home and Garden'
  $partition_key_day            = '2024-01-02'
  $partition_start_day          = TIMESTAMP '2024-01-02 00:00:00'
  $partition_end_day            = TIMESTAMP '2024-01-03 00:00:00'
  $partition_start              = TIMESTAMP '2024-01-02 00:00:00'
  $partition_end                = TIMESTAMP '2024-01-03 00:00:00'
  $partition_key_region         = 'eu'
  slice: (category) = $partition_key_category AND (day) >= $partition_start_day AND (day) < $partition_end_day AND (region) = $partition_key_region

# a dry run writes nothing: no instance storage, no warehouse
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize '*' --all -n >/dev/null && tranche materialize daily_orders --partition 2024-01-01 -n >/dev/null && ls -A
tranche.yaml

# ---- selections -----------------------------------------------------------------------

# +name: it and everything upstream
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche assets '+daily_orders' | cut -d' ' -f1
ASSET
orders
daily_orders

# name+: it and everything downstream
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche assets 'orders+' | cut -d' ' -f1
ASSET
orders
daily_orders
by_category
cube
by_symbol
scripted

# group:, tag:k=v, tag:k, *, a comma list with spaces, and the union of + forms
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && for s in group:raw tag:tier=gold tag:tier '*' 'by_symbol, fetched' '+by_category,cube+' '1+scripted'; do echo "$s: $(tranche assets "$s" --json | python3 -c 'import json, sys; print(" ".join(a["name"] for a in json.load(sys.stdin)))')"; done
group:raw: orders fetched
tag:tier=gold: cube
tag:tier: daily_orders cube
*: orders daily_orders by_category cube by_symbol scripted fetched env_dump reporter
by_symbol, fetched: by_symbol fetched
+by_category,cube+: orders by_category cube
1+scripted: orders scripted

# a selection through materialize: group:raw runs the unpartitioned orders once and fetched for the day
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize group:raw --partition 2024-01-02 && tranche assets group:raw --json | python3 -c 'import json, sys; [print(a["name"], a["counts"]) for a in json.load(sys.stdin)]'
run 1 succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
orders {'materialized': 1, 'stale': 0, 'failed': 0, 'missing': 0, 'in_progress': 0}
fetched {'materialized': 1, 'stale': 0, 'failed': 0, 'missing': 2, 'in_progress': 0}

# tag:k=v through materialize
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize 'tag:tier=gold' --partition 'Toys|2024-01-01|us' && tranche query "FROM cube"
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 day        | category | region | qty
------------+----------+--------+-----
 2024-01-01 | Toys     | us     |   1
(1 row)

# an unknown asset: exit 2 with the nearest name, nothing runs, nothing is written
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize 'orders,dayly_orders' --all; echo "exit $?"; ls -A
tranche: unknown asset "dayly_orders" (did you mean "daily_orders"?)
exit 2
tranche.yaml

# ... and no run is recorded
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize 'orders,dayly_orders' --all; tranche runs --json && tranche status orders
tranche: unknown asset "dayly_orders" (did you mean "daily_orders"?)
[]
orders: unpartitioned
  materialized       0
  failed             0
  in progress        0
  missing            1

# an unknown group, an unknown tag
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize group:debgu --all; tranche materialize tag:teir --all
tranche: no asset is in group "debgu" (did you mean "debug"? groups: raw, default, debug)
tranche: no asset has the tag key teir (tags: tier=silver, domain=sales, tier=gold)
[exit 2]

# ---- which partitions ----------------------------------------------------------------

# --partition repeated, and FIRST...LAST ranges
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize daily_orders --partition 2024-01-03 --partition 2024-01-01 && tranche status daily_orders && tranche materialize cube --partition 'Books|2024-01-01|eu...Books|2024-01-03|us' && tranche status cube
run 2 (backfill 1) succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
daily_orders: 3 daily partitions
  materialized       2  2024-01-01, 2024-01-03
  failed             0
  in progress        0
  missing            1  2024-01-02
run 3 (backfill 2) succeeded: 6 steps, 6 succeeded, 0 failed, 0 skipped
cube: 18 multi partitions
  materialized       6  Books|2024-01-01|eu...Books|2024-01-03|us
  failed             0
  in progress        0
  missing           12  Toys|2024-01-01|eu...Home and Garden|2024-01-03|us

# --from/--to, inclusive, over two assets with the same partitions
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize daily_orders,scripted --from 2024-01-02 --to 2024-01-03 && tranche status scripted
run 2 (backfill 1) succeeded: 4 steps, 4 succeeded, 0 failed, 0 skipped
scripted: 3 daily partitions
  materialized       2  2024-01-02...2024-01-03
  failed             0
  in progress        0
  missing            1  2024-01-01

# --missing runs only what is not materialized; with nothing missing there is nothing to do
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize daily_orders --partition 2024-01-02 >/dev/null && tranche materialize daily_orders --missing -n | grep -v '^ ' && tranche materialize daily_orders --missing && tranche materialize daily_orders --missing && tranche materialize daily_orders --failed
plan: 2 steps, 2 partitions of 1 asset (dry run: nothing is written)
daily_orders 2024-01-01
daily_orders 2024-01-03
run 3 (backfill 1) succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
nothing to do: no partition of the selection matches
nothing to do: no partition of the selection matches

# unpartitioned assets in the selection: with --missing (and --failed) only when missing (failed);
# --partition on a selection without partitioned assets is refused
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize +daily_orders --missing -n | grep -v '^ ' && tranche materialize orders >/dev/null && tranche materialize +daily_orders --missing -n | grep -v '^ ' && tranche materialize +daily_orders --failed -n && tranche materialize orders --partition 2024-01-01
plan: 4 steps, 4 partitions of 2 assets (dry run: nothing is written)
orders
daily_orders 2024-01-01
daily_orders 2024-01-02
daily_orders 2024-01-03
plan: 3 steps, 3 partitions of 1 asset (dry run: nothing is written)
daily_orders 2024-01-01
daily_orders 2024-01-02
daily_orders 2024-01-03
plan: 0 steps, 0 partitions of 0 assets (dry run: nothing is written)
tranche: no asset of "orders" is partitioned: materialize it without --partition/--from/--to
[exit 2]

# a key that is not a partition of one of the selected assets: exit 2, nothing runs
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize by_category,daily_orders --partition Books; echo "exit $?"; tranche status by_category | head -2
tranche: asset daily_orders (daily partitions): partition key "Books" does not match the format "%Y-%m-%d" (daily partitions in UTC)
exit 2
by_category: 3 static partitions
  materialized       0

# a key past the last partition, a backwards range, an unknown static key
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize daily_orders --partition 2024-01-04; tranche materialize daily_orders --from 2024-01-03 --to 2024-01-01; tranche materialize by_category --partition Garden
tranche: asset daily_orders (daily partitions): partition "2024-01-04" does not exist (yet, or it is past the end): partitions run from "2024-01-01" to "2024-01-03"
tranche: asset daily_orders (daily partitions): key range "2024-01-03"..."2024-01-01" is backwards: "2024-01-03" comes after "2024-01-01"
tranche: asset by_category (static partitions): unknown partition key "Garden"; valid keys: "Books", "Toys", "Home and Garden"
[exit 2]

# a partitioned asset and no choice of partitions: exit 2, the message lists the options
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize daily_orders
tranche: asset daily_orders is partitioned (daily, 3 partitions, the first is 2024-01-01): choose which with --partition KEY, --from KEY --to KEY, --missing, --failed, --stale or --all
[exit 2]

# two choices at once, --from without --to
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize daily_orders --all --missing; tranche materialize daily_orders --from 2024-01-01
tranche: choose one of --partition, --from/--to, --missing, --stale (or --missing --stale), --failed, --all
tranche: --from and --to go together (a range of keys, both inclusive)
[exit 2]

# ---- what tranche tells about assets and runs -----------------------------------------

# assets: the table, and --json
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders,daily_orders --all >/dev/null && tranche assets && tranche assets 'orders,daily_orders,cube' --json
ASSET         KIND     GROUP    PARTITIONS              DEPS    MATERIALIZED  FAILED  MISSING
orders        sql      raw      -                       -       1/1           0       0
daily_orders  sql      default  daily (3)               orders  3/3           0       0
by_category   sql      default  categories: static (3)  orders  0/3           0       3
cube          sql      default  multi (18)              orders  0/18          0       18
by_symbol     sql      default  symbols: dynamic (0)    orders  0/0           0       0
scripted      script   default  daily (3)               orders  0/3           0       3
fetched       command  raw      daily (3)               -       0/3           0       3
env_dump      command  debug    multi (6)               -       0/6           0       6
reporter      command  debug    -                       -       0/1           0       1
[{"name":"orders","kind":"sql","group":"raw","table":"orders","description":"raw orders, unpartitioned","partitions":null,"deps":[],"counts":{"materialized":1,"stale":0,"failed":0,"missing":0,"in_progress":0}},{"name":"daily_orders","kind":"sql","group":"default","table":"daily_orders","partitions":{"type":"daily","name":"daily","count":3},"deps":["orders"],"counts":{"materialized":3,"stale":0,"failed":0,"missing":0,"in_progress":0}},{"name":"cube","kind":"sql","group":"default","table":"cube","partitions":{"type":"multi","count":18},"deps":["orders"],"counts":{"materialized":0,"stale":0,"failed":0,"missing":18,"in_progress":0}}]

# status --json of a partitioned asset with each state, and of an unpartitioned one
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize daily_orders --partition 2024-01-01 --partition 2024-01-03 >/dev/null && tranche status daily_orders --json && tranche status orders --json && tranche status fetched --json
{"asset":"daily_orders","total":3,"counts":{"materialized":2,"stale":0,"failed":0,"in_progress":0,"missing":1},"ranges":{"materialized":["2024-01-01","2024-01-03"],"stale":[],"failed":[],"in_progress":[],"missing":["2024-01-02"]}}
{"asset":"orders","total":1,"counts":{"materialized":1,"stale":0,"failed":0,"in_progress":0,"missing":0},"ranges":null}
{"asset":"fetched","total":3,"counts":{"materialized":0,"stale":0,"failed":0,"in_progress":0,"missing":3},"ranges":{"materialized":[],"stale":[],"failed":[],"in_progress":[],"missing":["2024-01-01...2024-01-03"]}}

# status of an unknown asset
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche status daily_order
tranche: unknown asset "daily_order" (did you mean "daily_orders"?)
[exit 2]

# logs RUN and logs last (time column cut), with the check results
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize daily_orders --partition 2024-01-02 >/dev/null && tranche logs 1 | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//' && echo --- && tranche logs last | sed -E 's/^[0-9-]{10} [0-9:]{8}  //; s/ *$//'
run_start
step_start      orders
materialization orders: 5 rows
step_success    orders
run_success
run 1: success
---
run_start
step_start      daily_orders 2024-01-02
materialization daily_orders 2024-01-02: 2 rows
step_success    daily_orders 2024-01-02
check           daily_orders 2024-01-02 qty_positive: passed
run_success
run 2: success

# logs of a run that does not exist
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche logs last; tranche materialize orders >/dev/null && tranche logs 7; tranche logs seven
tranche: no runs yet: tranche materialize SELECTION
tranche: .tranche/instance.db: reading run 7: there is no run 7 (runs are 1 to 1)
tranche: RUN: "seven" is not a run id (a number from tranche runs, or "last")
[exit 2]

# runs, newest first (the start and duration columns cut)
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche runs && tranche materialize orders >/dev/null && tranche materialize daily_orders --from 2024-01-01 --to 2024-01-02 >/dev/null && tranche materialize '+by_category' --all >/dev/null && tranche runs | sed -E 's/STARTED +DURATION +//; s/[0-9-]{10} [0-9:]{8} +([0-9.]+ s|-) +//' && tranche runs -n 1 --json | python3 -c 'import json, sys; [print({k: v for k, v in r.items() if k not in ("created_at", "ended_at", "launched_by")}) for r in json.load(sys.stdin)]'
(no runs yet: tranche materialize SELECTION)
RUN  STATUS   STEPS  FAILED  SKIPPED  SELECTION     PARTITIONS
3    success  4/4    0       0        +by_category  all
2    success  2/2    0       0        daily_orders  2024-01-01...2024-01-02
1    success  1/1    0       0        orders        -
{'id': 3, 'status': 'success', 'selection': '+by_category', 'partitions': 'all', 'steps': {'total': 4, 'succeeded': 4, 'failed': 0, 'skipped': 0}, 'error': None}

# checks: passing error checks, exit 0; --json (time cut)
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche checks && tranche materialize orders,daily_orders --all >/dev/null && tranche checks && tranche checks daily_orders --json | python3 -c 'import json, sys; [print({k: v for k, v in c.items() if k != "ts"}) for c in json.load(sys.stdin)]'
(no check has run yet)
ASSET         CHECK         PARTITION   RESULT  SEVERITY  DETAILS
daily_orders  qty_positive  2024-01-01  passed  error     passed
daily_orders  qty_positive  2024-01-02  passed  error     passed
daily_orders  qty_positive  2024-01-03  passed  error     passed
{'asset': 'daily_orders', 'check': 'qty_positive', 'partition': '2024-01-01', 'passed': True, 'severity': 'error', 'message': 'passed', 'run_id': 1}
{'asset': 'daily_orders', 'check': 'qty_positive', 'partition': '2024-01-02', 'passed': True, 'severity': 'error', 'message': 'passed', 'run_id': 1}
{'asset': 'daily_orders', 'check': 'qty_positive', 'partition': '2024-01-03', 'passed': True, 'severity': 'error', 'message': 'passed', 'run_id': 1}

# query: table, --csv, --json, --max-rows
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche query "SELECT id, day, category, qty FROM orders WHERE qty > 2 ORDER BY id" && tranche query "SELECT id, day, category || ', etc.' AS category, NULL AS none FROM orders ORDER BY id LIMIT 2" --csv && tranche query "SELECT id, day, category, qty / 2 AS half FROM orders ORDER BY id LIMIT 2" --json && echo && tranche query "FROM orders ORDER BY id" --max-rows 1 --csv
 id | day        | category        | qty
----+------------+-----------------+-----
  1 | 2024-01-01 | Books           |   3
  3 | 2024-01-02 | Home and Garden |   5
  5 | 2024-01-03 | Toys            |   7
(3 rows)
id,day,category,none
1,2024-01-01,"Books, etc.",
2,2024-01-01,"Toys, etc.",
[{"id":1,"day":"2024-01-01","category":"Books","half":1.5},{"id":2,"day":"2024-01-01","category":"Toys","half":0.5}]

id,day,category,region,qty,symbol
1,2024-01-01,Books,eu,3,IBM

# wipe one partition: its rows and its status go, the others stay; then the whole asset: the table goes
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders,daily_orders --all >/dev/null && tranche wipe daily_orders --partition 2024-01-02 && tranche status daily_orders && tranche query "SELECT day, count(*) FROM daily_orders GROUP BY ALL ORDER BY 1" && tranche wipe daily_orders && tranche status daily_orders && tranche query "SELECT count(*) FROM information_schema.tables WHERE table_name = 'daily_orders'"
wiped 1 partition of daily_orders: 2 rows deleted
daily_orders: 3 daily partitions
  materialized       2  2024-01-01, 2024-01-03
  failed             0
  in progress        0
  missing            1  2024-01-02
 day        | count_star()
------------+--------------
 2024-01-01 |            2
 2024-01-03 |            1
(2 rows)
wiped daily_orders: table daily_orders dropped (3 rows)
daily_orders: 3 daily partitions
  materialized       0
  failed             0
  in progress        0
  missing            3  2024-01-01...2024-01-03
 count_star()
--------------
            0
(1 row)

# wipe a partition of a multi asset, and one that does not exist
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize orders >/dev/null && tranche materialize cube --all >/dev/null && tranche wipe cube --partition 'Toys|2024-01-03|eu' && tranche status cube | grep -E 'materialized|missing' && tranche query "SELECT count(*) FROM cube"; tranche wipe cube --partition 'Toys|2024-01-04|eu'
wiped 1 partition of cube: 1 row deleted
  materialized      17  Books|2024-01-01|eu...Toys|2024-01-02|us, Toys|2024-01-03|us...Home and Garden|2024-01-03|us
  missing            1  Toys|2024-01-03|eu
 count_star()
--------------
            4
(1 row)
tranche: asset cube (multi partitions): partition key "Toys|2024-01-04|eu", dimension "day": partition "2024-01-04" does not exist (yet, or it is past the end): partitions run from "2024-01-01" to "2024-01-03"
[exit 2]

# tranche help COMMAND is COMMAND --help
$ tranche help wipe | head -1
usage: tranche wipe ASSET [--partition KEY | --from KEY --to KEY]

# regression: a query whose own WHERE keeps one day of a window over many rows loads that
# day only, from the second partition on too (the fast path once counted the rows the
# query's WHERE drops as outside the partition: DuckDB reorders a merged conjunction)
$ printf 'name: repro\nassets:\n  src: {sql: "SELECT DATE %s + INTERVAL (i) DAY AS day, i::DECIMAL(18,4) AS x FROM range(60) t(i)"}\n  ma:\n    partitions: {type: daily, start: 2024-01-01}\n    partition_expr: day\n    deps: [src]\n    sql: |\n      SELECT day, a FROM (SELECT day, (avg(x) OVER (ORDER BY day ROWS 2 PRECEDING))::DECIMAL(18, 4) AS a FROM src)\n      WHERE day >= $partition_start AND day < $partition_end\n' "'2024-01-01'" > tranche.yaml && export TRANCHE_NOW=2024-03-01 && tranche materialize src >/dev/null && tranche materialize ma --partition 2024-02-10 --partition 2024-02-12 --partition 2024-02-13 --jobs 1 && tranche query "FROM ma ORDER BY day"
run 2 (backfill 1) succeeded: 3 steps, 3 succeeded, 0 failed, 0 skipped
 day                 |       a
---------------------+---------
 2024-02-10 00:00:00 | 39.0000
 2024-02-12 00:00:00 | 41.0000
 2024-02-13 00:00:00 | 42.0000
(3 rows)

