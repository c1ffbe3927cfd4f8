# tranche adopt: recording the partitions a table already holds as materialized (no run),
# on the adopt fixture. TRANCHE_NOW=2024-01-11: daily partitions 2024-01-01 .. 2024-01-10.
# The tables are made by hand with tranche query, as a user's existing warehouse would be.

# a daily table with history and gaps, and rows before the start and after the last partition;
# --dry-run records nothing (no instance storage is even created); status then shows them
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE events AS SELECT * FROM (VALUES (DATE '2023-12-30', 'old', 1), (DATE '2023-12-31', 'old', 2), (DATE '2024-01-01', 'old', 3), (DATE '2024-01-01', 'old', 4), (DATE '2024-01-02', 'old', 5), (DATE '2024-01-03', 'old', 6), (DATE '2024-01-05', 'old', 7), (DATE '2024-01-06', 'old', 8), (DATE '2024-01-12', 'old', 9)) AS t(day, source, n)" >/dev/null && tranche adopt events --dry-run && ls .tranche; tranche status events && tranche adopt events && tranche status events
table events: 9 rows in 5 of the 10 daily partitions that exist now
would adopt 5 partitions (6 rows) as materialized (dry run: nothing was recorded):
  2024-01-01...2024-01-03  3 partitions  4 rows
  2024-01-05...2024-01-06  2 partitions  2 rows
rows in no partition: 3
  2 rows before the first partition (2024-01-01): 2023-12-30, 2023-12-31
  1 row after the last partition that exists now (2024-01-10): 2024-01-12
next: tranche materialize events --missing runs the 5 partitions not there
ls: cannot access '.tranche': No such file or directory
events: 10 daily partitions
  materialized       0
  failed             0
  in progress        0
  missing           10  2024-01-01...2024-01-10
table events: 9 rows in 5 of the 10 daily partitions that exist now
adopted 5 partitions (6 rows) as materialized:
  2024-01-01...2024-01-03  3 partitions  4 rows
  2024-01-05...2024-01-06  2 partitions  2 rows
rows in no partition: 3
  2 rows before the first partition (2024-01-01): 2023-12-30, 2023-12-31
  1 row after the last partition that exists now (2024-01-10): 2024-01-12
next: tranche materialize events --missing runs the 5 partitions not there
events: 10 daily partitions
  materialized       5  2024-01-01...2024-01-03, 2024-01-05...2024-01-06
  failed             0
  in progress        0
  missing            5  2024-01-04, 2024-01-07...2024-01-10

# then materialize --missing plans only the gaps and the new days, and leaves the history alone
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE events AS SELECT * FROM (VALUES (DATE '2024-01-01', 'old', 3), (DATE '2024-01-02', 'old', 5), (DATE '2024-01-03', 'old', 6), (DATE '2024-01-05', 'old', 7)) AS t(day, source, n)" >/dev/null && tranche adopt events >/dev/null && tranche materialize events --missing --dry-run --json && tranche materialize events --missing && tranche query "SELECT day, source FROM events ORDER BY day" && tranche status events
{"type":"plan","partitions":6,"steps":6,"assets":[{"asset":"events","partitions":6,"steps":6,"policy":"multi_run","max_per_step":1,"ranges":["2024-01-04","2024-01-06...2024-01-10"]}]}
run 1 (backfill 1) succeeded: 6 steps, 6 succeeded, 0 failed, 0 skipped
 day        | source
------------+--------
 2024-01-01 | old
 2024-01-02 | old
 2024-01-03 | old
 2024-01-04 | new
 2024-01-05 | old
 2024-01-06 | new
 2024-01-07 | new
 2024-01-08 | new
 2024-01-09 | new
 2024-01-10 | new
(10 rows)
events: 10 daily partitions
  materialized      10  2024-01-01...2024-01-10
  failed             0
  in progress        0
  missing            0

# adopt again: what has a status is left as it is (materialized here, and one failed partition)
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE events AS SELECT * FROM (VALUES (DATE '2024-01-01', 'old', 3), (DATE '2024-01-02', 'old', 5)) AS t(day, source, n)" >/dev/null && tranche adopt events >/dev/null && tranche query "INSERT INTO events VALUES (DATE '2024-01-03', 'old', 6), (DATE '2024-01-04', 'old', 7)" >/dev/null && sed -i "s/'new' AS source, 1 AS n/'new' AS source, 1 AS n, error('boom') AS e/" tranche.yaml && tranche materialize events --partition 2024-01-04 >/dev/null; tranche adopt events
failed events 2024-01-04: running the query: Invalid Input Error: boom
table events: 4 rows in 4 of the 10 daily partitions that exist now
adopted 1 partition (1 row) as materialized:
  2024-01-03  1 partition  1 row
left as they are: 2 partitions already materialized
left as they are: 1 failed partition (tranche materialize events --failed retries it)
next: tranche materialize events --missing runs the 7 partitions not there

# no run is recorded: tranche runs stays empty; tranche logs --asset shows the events (of no
# run), with their metadata
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE events AS SELECT DATE '2024-01-02' AS day, 'old' AS source, 5 AS n" >/dev/null && tranche adopt events --json && tranche runs && tranche assets events && tranche logs --asset events | sed -E 's/^[0-9-]{10} [0-9:]{8}  //' && tranche logs --asset events --json | python3 -c 'import json, sys; [print(e["run_id"], e["type"], e["partition"], e["data"]) for e in map(json.loads, sys.stdin)]' && tranche logs --asset customers
{"asset":"events","table":"events","dry_run":false,"table_rows":1,"partitions_type":"daily","partitions_total":10,"adopted":{"partitions":1,"rows":1,"ranges":[{"keys":"2024-01-02","partitions":1,"rows":1}]},"recorded":1,"left_as_they_are":{"materialized":0,"failed":0,"in_progress":0},"outside":{"rows":0,"reasons":[]},"missing_after":9}
(no runs yet: tranche materialize SELECTION)
ASSET   KIND  GROUP    PARTITIONS  DEPS  MATERIALIZED  FAILED  MISSING
events  sql   default  daily (10)  -     1/10          0       9
no run   materialization events 2024-01-02: adopted: 1 row already in table events
0 materialization 2024-01-02 {'adopted': True, 'row_count': 1}
(no events of customers yet)

# hourly timestamps in a table of New York days: each value falls in the day whose wall-clock
# window holds it, as the load's slice compares them
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE clicks AS SELECT * FROM (VALUES (TIMESTAMP '2024-01-01 00:00:00', 1), (TIMESTAMP '2024-01-01 23:59:59', 1), (TIMESTAMP '2024-01-02 00:00:00', 1), (TIMESTAMP '2023-12-31 23:59:00', 1), (TIMESTAMP '2024-01-10 23:00:00', 1), (TIMESTAMP '2024-01-11 00:00:00', 1)) AS t(ts, n)" >/dev/null && tranche adopt clicks
table clicks: 6 rows in 2 of the 9 daily partitions that exist now
adopted 2 partitions (3 rows) as materialized:
  2024-01-01...2024-01-02  2 partitions  3 rows
rows in no partition: 3
  1 row before the first partition (2024-01-01): 2023-12-31 23:59:00
  2 rows after the last partition that exists now (2024-01-09): 2024-01-10 23:00:00, 2024-01-11 00:00:00
next: tranche materialize clicks --missing runs the 7 partitions not there

# TIMESTAMPTZ values (the session's zone is UTC here, as the load's comparison is)
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE payments AS SELECT * FROM (VALUES (TIMESTAMPTZ '2024-01-01 10:00:00+00', 1), (TIMESTAMPTZ '2024-01-02 01:00:00+02', 2), (TIMESTAMPTZ '2024-01-02 23:30:00-05', 3)) AS t(paid_at, amount)" >/dev/null && tranche adopt payments
table payments: 3 rows in 2 of the 10 daily partitions that exist now
adopted 2 partitions (3 rows) as materialized:
  2024-01-01  1 partition  2 rows
  2024-01-03  1 partition  1 row
next: tranche materialize payments --missing runs the 8 partitions not there

# multi partitions: one expression per dimension, grouped together; a region that is not a key
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE sales AS SELECT * FROM (VALUES (DATE '2024-01-01', 'eu', 1), (DATE '2024-01-01', 'us', 1), (DATE '2024-01-02', 'eu', 1), (DATE '2024-01-02', 'eu', 1), (DATE '2024-01-02', 'asia', 1), (DATE '2023-06-01', 'eu', 1), (DATE '2024-01-03', NULL, 1)) AS t(sold_on, region, n)" >/dev/null && tranche adopt sales && tranche status sales && tranche materialize sales --missing --dry-run --json
table sales: 7 rows in 3 of the 20 multi partitions that exist now
adopted 3 partitions (4 rows) as materialized:
  2024-01-01|eu...2024-01-02|eu  3 partitions  4 rows
rows in no partition: 3
  1 row with day before the first partition (2024-01-01): 2023-06-01
  1 row with region not a key (keys: eu, us): asia
  1 row with region NULL
next: tranche materialize sales --missing runs the 17 partitions not there
sales: 20 multi partitions
  materialized       3  2024-01-01|eu...2024-01-02|eu
  failed             0
  in progress        0
  missing           17  2024-01-02|us...2024-01-10|us
{"type":"plan","partitions":17,"steps":17,"assets":[{"asset":"sales","partitions":17,"steps":17,"policy":"multi_run","max_per_step":1,"ranges":["2024-01-02|us...2024-01-10|us"]}]}

# static and dynamic partitions: key equality
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE by_category AS SELECT * FROM (VALUES ('Books', 1), ('Home and Garden', 2), ('Garden', 3), ('books', 4)) AS t(category, n)" >/dev/null && tranche adopt by_category && tranche query "CREATE TABLE prices AS SELECT * FROM (VALUES ('IBM', 1.0), ('AAPL', 2.0), ('MSFT', 3.0)) AS t(symbol, price)" >/dev/null && tranche partitions add symbols IBM MSFT >/dev/null && tranche adopt prices && tranche status prices
table by_category: 4 rows in 2 of the 3 static partitions that exist now
adopted 2 partitions (2 rows) as materialized:
  Books            1 partition  1 row
  Home and Garden  1 partition  1 row
rows in no partition: 2
  2 rows not a key of the definition (keys: Books, Toys, Home and Garden): Garden, books
next: tranche materialize by_category --missing runs the 1 partition not there
table prices: 3 rows in 2 of the 2 dynamic partitions that exist now
adopted 2 partitions (2 rows) as materialized:
  IBM...MSFT  2 partitions  2 rows
rows in no partition: 1
  1 row not a key of dynamic partitions "symbols" (2 keys; add one with tranche partitions add symbols KEY): AAPL
prices: 2 dynamic partitions
  materialized       2  IBM...MSFT
  failed             0
  in progress        0
  missing            0

# an unpartitioned asset: adopted when its table exists, then left as it is
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE customers AS SELECT 1 AS id, 'acme' AS name UNION ALL SELECT 2, 'globex'" >/dev/null && tranche adopt customers --dry-run && tranche adopt customers && tranche adopt customers --json && tranche status customers && tranche materialize customers --missing
table customers: 2 rows
would adopt asset customers: its table would be recorded as materialized (dry run: nothing was recorded)
table customers: 2 rows
adopted asset customers: its table is recorded as materialized
{"asset":"customers","table":"customers","dry_run":false,"table_rows":2,"partitions_type":null,"partitions_total":null,"adopted":{"partitions":0,"rows":0,"ranges":null},"recorded":0,"left_as_they_are":{"materialized":1,"failed":0,"in_progress":0},"outside":{"rows":0,"reasons":[]},"missing_after":0}
customers: unpartitioned
  materialized       1
  failed             0
  in progress        0
  missing            0
nothing to do: no partition of the selection matches

# an empty table: nothing to adopt
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE events (day DATE, source VARCHAR, n INTEGER)" >/dev/null && tranche adopt events
table events: 0 rows in 0 of the 10 daily partitions that exist now
nothing to adopt: the table is empty
next: tranche materialize events --missing runs the 10 partitions not there

# errors: unknown asset, no table yet (no warehouse, then a warehouse without it), no
# partition_expr, an expression DuckDB refuses; nothing is written
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche adopt evnts; tranche adopt events; ls data .tranche; tranche query "SELECT 1" >/dev/null && tranche adopt events; tranche adopt tallies; tranche query "CREATE TABLE events AS SELECT DATE '2024-01-01' AS dday" >/dev/null && tranche adopt events; tranche adopt; tranche adopt events clicks; ls .tranche
tranche: unknown asset "evnts" (did you mean "events"?)
tranche: nothing to adopt: table events does not exist (asset events writes it; tranche materialize creates it)
ls: cannot access 'data': No such file or directory
ls: cannot access '.tranche': No such file or directory
tranche: nothing to adopt: table events does not exist (asset events writes it; tranche materialize creates it)
tranche: asset tallies is partitioned (daily) but has no partition_expr: adopt reads each row's partition through it; add partition_expr: COLUMN (the column that holds the partition value) to the asset in tranche.yaml
tranche: asset events: reading the partitions of table events through partition_expr: running the query: Binder Error: Referenced column "day" not found in FROM clause! Candidate bindings: "dday" (at "day)" in LINE 1: SELECT epoch_us(date_trunc('minute', CAST((day) AS TIMESTAMP))), count(*), CAST(min((day)) AS VARCHAR...)
tranche: adopt takes one ASSET (got 0)
usage: tranche adopt ASSET [--dry-run] [--json]
tranche: adopt takes one ASSET (got 2)
usage: tranche adopt ASSET [--dry-run] [--json]
ls: cannot access '.tranche': No such file or directory
[exit 2]

# help
$ tranche adopt --help
usage: tranche adopt ASSET [--dry-run] [--json]

Records the partitions that ASSET's table already holds as materialized, without running
anything: the partition of each row is read through the asset's partition_expr. Then
tranche materialize ASSET --missing loads only the partitions that are not there.
Partitions that already have a status are left as they are; rows that fall in no
partition are reported.

options:
  -n, --dry-run                print what would be recorded; record nothing
      --json                   print JSON
  -C, --dir DIR                run as if started in DIR
      --project FILE           the project file (default: tranche.yaml)
      --now TIME               the current time (ISO 8601); default $TRANCHE_NOW or the clock
      --help                   show this help

