# tranche explain: an asset, its partitions in words, and what a run of one partition does,
# on the adopt fixture (TRANCHE_NOW=2024-01-11: daily partitions 2024-01-01 .. 2024-01-10)
# and the kinds fixture (command assets; TRANCHE_NOW=2024-01-04).

# a daily SQL asset: the last partition by default
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche explain events
asset events
  kind:   sql: a query whose rows tranche writes into the table
  table:  events
  group:  default
  partitions: daily (the project's definition "daily")
  partition_expr: day (the column that holds each row's partition)
  deps:   none

partitions
  daily partitions on the schedule "0 0 * * *" in UTC, keys formatted "%Y-%m-%d"
  start: "2024-01-01" = 2024-01-01T00:00:00+00:00, on the schedule, so the first partition starts there
  now: 2024-01-11T00:00:00+00:00
  first: "2024-01-01" = [2024-01-01T00:00:00+00:00, 2024-01-02T00:00:00+00:00)
  last:  "2024-01-10" = [2024-01-10T00:00:00+00:00, 2024-01-11T00:00:00+00:00)
  why:   only complete windows exist: "2024-01-11" is not complete until 2024-01-12T00:00:00+00:00, so the last partition is "2024-01-10"
  count: 10 partitions
  window: 1 day

partition 2024-01-10 (the last one; --partition KEY explains another)
  window: [2024-01-10T00:00:00+00:00, 2024-01-11T00:00:00+00:00) wall clock in UTC
  status: missing (never materialized, or wiped since)
  parameters (bound as values, never pasted into the SQL text):
    $partition_key    VARCHAR    '2024-01-10'
    $partition_keys   VARCHAR[]  ['2024-01-10']
    $partition_start  TIMESTAMP  TIMESTAMP '2024-01-10 00:00:00'
    $partition_end    TIMESTAMP  TIMESTAMP '2024-01-11 00:00:00'
  slice: (day) >= $partition_start AND (day) < $partition_end
    with $partition_start = TIMESTAMP '2024-01-10 00:00:00'
    with $partition_end = TIMESTAMP '2024-01-11 00:00:00'
  load, in one transaction (a row outside the slice fails the partition):
    DELETE FROM "events" WHERE ((day) >= $partition_start AND (day) < $partition_end);
    INSERT INTO "events" BY NAME
    SELECT CAST($partition_start AS DATE) AS day, 'new' AS source, 1 AS n;
  (the first load creates the table from the rows' columns)

# its status and last materialization: adopted (no run), then materialized by a run
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche query "CREATE TABLE events AS SELECT DATE '2024-01-02' AS day, 'old' AS source, 5 AS n" >/dev/null && tranche adopt events >/dev/null && tranche explain events -p 2024-01-02 | grep status: | sed -E 's/[0-9-]{10}T[0-9:]{8}\+00:00/TIME/' && tranche materialize events --partition 2024-01-02 >/dev/null && tranche explain events -p 2024-01-02 | grep status: | sed -E 's/[0-9-]{10}T[0-9:]{8}\+00:00/TIME/' && tranche explain events -p 2024-01-03 | grep status:
  status: materialized; last materialized TIME by tranche adopt (no run), 1 row
  status: materialized; last materialized TIME by run 1, 1 row
  status: missing (never materialized, or wiped since)

# monthly partitions in New York time: the window in the zone and in UTC; a dependency found
# in the SQL, whose upstream days before its first partition are required but nonexistent
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche explain monthly_clicks
asset monthly_clicks
  kind:   sql: a query whose rows tranche writes into the table
  table:  monthly_clicks
  group:  default
  partitions: monthly
  partition_expr: month (the column that holds each row's partition)
  deps:   clicks (mapping time_window, found in the SQL)

partitions
  monthly partitions on the schedule "0 0 1 * *" in America/New_York, keys formatted "%Y-%m-%d"
  start: "2023-11-01" = 2023-11-01T00:00:00-04:00, on the schedule, so the first partition starts there
  now: 2024-01-10T19:00:00-05:00
  first: "2023-11-01" = [2023-11-01T00:00:00-04:00, 2023-12-01T00:00:00-05:00)
  last:  "2023-12-01" = [2023-12-01T00:00:00-05:00, 2024-01-01T00:00:00-05:00)
  why:   only complete windows exist: "2024-01-01" is not complete until 2024-02-01T00:00:00-05:00, so the last partition is "2023-12-01"
  count: 2 partitions
  dst:   clocks change at 2023-11-05T01:00:00-05:00 (UTC offset -4:00 -> -5:00); partition "2023-11-01" is 721 hours long
  window: 721 hours to 31 days

partition 2023-12-01 (the last one; --partition KEY explains another)
  window: [2023-12-01T00:00:00-05:00, 2024-01-01T00:00:00-05:00) wall clock in America/New_York
          [2023-12-01T05:00:00+00:00, 2024-01-01T05:00:00+00:00) in UTC
  status: missing (never materialized, or wiped since)
  parameters (bound as values, never pasted into the SQL text):
    $partition_key    VARCHAR    '2023-12-01'
    $partition_keys   VARCHAR[]  ['2023-12-01']
    $partition_start  TIMESTAMP  TIMESTAMP '2023-12-01 00:00:00'
    $partition_end    TIMESTAMP  TIMESTAMP '2024-01-01 00:00:00'
  reads:
    clicks (daily, mapping time_window): no partition
      required but nonexistent: 2023-12-01...2023-12-31
  slice: (month) >= $partition_start AND (month) < $partition_end
    with $partition_start = TIMESTAMP '2023-12-01 00:00:00'
    with $partition_end = TIMESTAMP '2024-01-01 00:00:00'
  load, in one transaction (a row outside the slice fails the partition):
    DELETE FROM "monthly_clicks" WHERE ((month) >= $partition_start AND (month) < $partition_end);
    INSERT INTO "monthly_clicks" BY NAME
    SELECT CAST($partition_start AS DATE) AS month, count(*) AS n FROM clicks
    WHERE ts >= $partition_start AND ts < $partition_end;
  (the first load creates the table from the rows' columns)

# a mapping with a lag (time_window, start_offset -1) and an unpartitioned dependency; on the
# first day there is no day before it, and the partition reads the days that exist
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche explain events_2d --partition 2024-01-05 | sed -n '/^partition /,$p' && tranche explain events_2d --partition 2024-01-01 | grep -A3 reads:
partition 2024-01-05
  window: [2024-01-05T00:00:00+00:00, 2024-01-06T00:00:00+00:00) wall clock in UTC
  status: missing (never materialized, or wiped since)
  parameters (bound as values, never pasted into the SQL text):
    $partition_key    VARCHAR    '2024-01-05'
    $partition_keys   VARCHAR[]  ['2024-01-05']
    $partition_start  TIMESTAMP  TIMESTAMP '2024-01-05 00:00:00'
    $partition_end    TIMESTAMP  TIMESTAMP '2024-01-06 00:00:00'
  reads:
    events (daily, mapping time_window): 2 partitions: 2024-01-04...2024-01-05
    customers (unpartitioned, mapping all): the whole table
  slice: (day) >= $partition_start AND (day) < $partition_end
    with $partition_start = TIMESTAMP '2024-01-05 00:00:00'
    with $partition_end = TIMESTAMP '2024-01-06 00:00:00'
  load, in one transaction (a row outside the slice fails the partition):
    DELETE FROM "events_2d" WHERE ((day) >= $partition_start AND (day) < $partition_end);
    INSERT INTO "events_2d" BY NAME
    SELECT CAST($partition_start AS DATE) AS day, count(*) AS n FROM events
    WHERE day >= $partition_start - INTERVAL 1 DAY AND day < $partition_end;
  (the first load creates the table from the rows' columns)
  reads:
    events (daily, mapping time_window): 1 partition: 2024-01-01
    customers (unpartitioned, mapping all): the whole table
  slice: (day) >= $partition_start AND (day) < $partition_end

# static partitions: a key with spaces is a bound value
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche explain by_category --partition 'Home and Garden' | sed -n '/^partition /,$p'
partition Home and Garden
  status: missing (never materialized, or wiped since)
  parameters (bound as values, never pasted into the SQL text):
    $partition_key   VARCHAR    'Home and Garden'
    $partition_keys  VARCHAR[]  ['Home and Garden']
  slice: (category) = $partition_key
    with $partition_key = 'Home and Garden'
  load, in one transaction (a row outside the slice fails the partition):
    DELETE FROM "by_category" WHERE ((category) = $partition_key);
    INSERT INTO "by_category" BY NAME
    SELECT $partition_key AS category, 0 AS n;
  (the first load creates the table from the rows' columns)

# multi partitions: a parameter per dimension, one slice term per partition_expr
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche explain sales --partition '2024-01-02|eu' | sed -n '/^partition /,$p'
partition 2024-01-02|eu
  window: [2024-01-02T00:00:00+00:00, 2024-01-03T00:00:00+00:00) wall clock in UTC
  status: missing (never materialized, or wiped since)
  parameters (bound as values, never pasted into the SQL text):
    $partition_key         VARCHAR    '2024-01-02|eu'
    $partition_keys        VARCHAR[]  ['2024-01-02|eu']
    $partition_key_day     VARCHAR    '2024-01-02'
    $partition_start_day   TIMESTAMP  TIMESTAMP '2024-01-02 00:00:00'
    $partition_end_day     TIMESTAMP  TIMESTAMP '2024-01-03 00:00:00'
    $partition_start       TIMESTAMP  TIMESTAMP '2024-01-02 00:00:00'
    $partition_end         TIMESTAMP  TIMESTAMP '2024-01-03 00:00:00'
    $partition_key_region  VARCHAR    'eu'
  slice: (sold_on) >= $partition_start_day AND (sold_on) < $partition_end_day AND (region) = $partition_key_region
    with $partition_start_day = TIMESTAMP '2024-01-02 00:00:00'
    with $partition_end_day = TIMESTAMP '2024-01-03 00:00:00'
    with $partition_key_region = 'eu'
  load, in one transaction (a row outside the slice fails the partition):
    DELETE FROM "sales" WHERE ((sold_on) >= $partition_start_day AND (sold_on) < $partition_end_day AND (region) = $partition_key_region);
    INSERT INTO "sales" BY NAME
    SELECT CAST($partition_start_day AS DATE) AS sold_on, $partition_key_region AS region, 1 AS n;
  (the first load creates the table from the rows' columns)

# a command asset: the TRANCHE_* environment it sees, and what is loaded from its output
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche explain env_dump --partition '2024-01-02|us' | sed -n '/^partition /,$p' && tranche explain fetched | sed -n '/^  command/,$p'
partition 2024-01-02|us
  window: [2024-01-02T00:00:00+00:00, 2024-01-03T00:00:00+00:00) wall clock in UTC
  status: missing (never materialized, or wiped since)
  parameters (bound as values, never pasted into the SQL text):
    $partition_key         VARCHAR    '2024-01-02|us'
    $partition_keys        VARCHAR[]  ['2024-01-02|us']
    $partition_key_day     VARCHAR    '2024-01-02'
    $partition_start_day   TIMESTAMP  TIMESTAMP '2024-01-02 00:00:00'
    $partition_end_day     TIMESTAMP  TIMESTAMP '2024-01-03 00:00:00'
    $partition_start       TIMESTAMP  TIMESTAMP '2024-01-02 00:00:00'
    $partition_end         TIMESTAMP  TIMESTAMP '2024-01-03 00:00:00'
    $partition_key_region  VARCHAR    'us'
  command (run by /bin/sh -c in the project directory):
    echo "day,region,name,value" > "$TRANCHE_OUTPUT"
    env | grep -E '^(TRANCHE_|API_BASE|RETRIES)' | grep -v '^TRANCHE_NOW=' | sort | while IFS='=' read -r name value; do
      echo "$TRANCHE_PARTITION_KEY_DAY,$TRANCHE_PARTITION_KEY_REGION,$name,$value"
    done >> "$TRANCHE_OUTPUT"
  environment:
    TRANCHE_ASSET=env_dump
    TRANCHE_RUN_ID=(the run's id)
    TRANCHE_PARTITION_KEY=2024-01-02|us
    TRANCHE_OUTPUT=.tranche/runs/RUN/env_dump/STEP-ATTEMPT/output.csv
    TRANCHE_OUTPUT_FORMAT=csv
    TRANCHE_MESSAGES=.tranche/runs/RUN/env_dump/STEP-ATTEMPT/messages.jsonl
    TRANCHE_PARTITION_KEYS=["2024-01-02|us"]
    TRANCHE_PARTITION_KEY_DAY=2024-01-02
    TRANCHE_PARTITION_START_DAY=2024-01-02T00:00:00
    TRANCHE_PARTITION_END_DAY=2024-01-03T00:00:00
    TRANCHE_PARTITION_START=2024-01-02T00:00:00
    TRANCHE_PARTITION_END=2024-01-03T00:00:00
    TRANCHE_PARTITION_KEY_REGION=us
    API_BASE=https://example.com/api
    RETRIES=3
  slice: (day) >= $partition_start_day AND (day) < $partition_end_day AND (region) = $partition_key_region
    with $partition_start_day = TIMESTAMP '2024-01-02 00:00:00'
    with $partition_end_day = TIMESTAMP '2024-01-03 00:00:00'
    with $partition_key_region = 'us'
  load, in one transaction (a row outside the slice fails the partition):
    DELETE FROM "env_dump" WHERE ((day) >= $partition_start_day AND (day) < $partition_end_day AND (region) = $partition_key_region);
    INSERT INTO "env_dump" BY NAME
    SELECT * FROM read_csv('$TRANCHE_OUTPUT');
  (the first load creates the table from the rows' columns)
  command (run by /bin/sh -c in the project directory):
    echo "fetching $TRANCHE_PARTITION_KEY"
    printf 'day,value\n%s,%s\n' "$TRANCHE_PARTITION_KEY" 42 > "$TRANCHE_OUTPUT"
    echo '{"metadata": {"source": "shell"}}' >> "$TRANCHE_MESSAGES"
  environment:
    TRANCHE_ASSET=fetched
    TRANCHE_RUN_ID=(the run's id)
    TRANCHE_PARTITION_KEY=2024-01-03
    TRANCHE_OUTPUT=.tranche/runs/RUN/fetched/STEP-ATTEMPT/output.csv
    TRANCHE_OUTPUT_FORMAT=csv
    TRANCHE_MESSAGES=.tranche/runs/RUN/fetched/STEP-ATTEMPT/messages.jsonl
    TRANCHE_PARTITION_KEYS=["2024-01-03"]
    TRANCHE_PARTITION_START=2024-01-03T00:00:00
    TRANCHE_PARTITION_END=2024-01-04T00:00:00
  slice: (day) >= $partition_start AND (day) < $partition_end
    with $partition_start = TIMESTAMP '2024-01-03 00:00:00'
    with $partition_end = TIMESTAMP '2024-01-04 00:00:00'
  load, in one transaction (a row outside the slice fails the partition):
    DELETE FROM "fetched" WHERE ((day) >= $partition_start AND (day) < $partition_end);
    INSERT INTO "fetched" BY NAME
    SELECT * FROM read_csv('$TRANCHE_OUTPUT');
  (the first load creates the table from the rows' columns)

# an unpartitioned asset, and one whose partitions do not exist yet
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche explain customers && tranche explain future | tail -3
asset customers
  kind:   sql: a query whose rows tranche writes into the table
  table:  customers
  group:  default
  partitions: none: a run replaces the whole table
  deps:   none

a run of customers (unpartitioned: the whole table)
  status: missing (never materialized, or wiped since)
  parameters: none (unpartitioned)
  load, in one transaction (the whole table is replaced):
    CREATE OR REPLACE TABLE "customers" AS
    SELECT 1 AS id, 'acme' AS name;
  partitions: none yet — the first partition "2030-01-01" is not complete until 2030-01-02T00:00:00+00:00

no partition exists now, so there is no run to explain

# --json: the same as one object
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche explain events_2d --partition 2024-01-05 --json && tranche explain customers --json && tranche explain future --json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["partition"], d["partitions"]["count"], d["partitions"]["first"])'
{"asset":{"name":"events_2d","kind":"sql","table":"events_2d","group":"default","description":null,"partition_expr":["day"],"deps":[{"asset":"events","mapping":"time_window","inferred":false},{"asset":"customers","mapping":"all","inferred":false}]},"partitions":{"type":"daily","name":"daily","timezone":"UTC","fmt":"%Y-%m-%d","end_offset":0,"count":10,"first":"2024-01-01","last":"2024-01-10","explain":["daily partitions on the schedule \"0 0 * * *\" in UTC, keys formatted \"%Y-%m-%d\"","start: \"2024-01-01\" = 2024-01-01T00:00:00+00:00, on the schedule, so the first partition starts there","now: 2024-01-11T00:00:00+00:00","first: \"2024-01-01\" = [2024-01-01T00:00:00+00:00, 2024-01-02T00:00:00+00:00)","last:  \"2024-01-10\" = [2024-01-10T00:00:00+00:00, 2024-01-11T00:00:00+00:00)","why:   only complete windows exist: \"2024-01-11\" is not complete until 2024-01-12T00:00:00+00:00, so the last partition is \"2024-01-10\"","count: 10 partitions","window: 1 day"]},"partition":{"key":"2024-01-05","index":4,"last":false,"window":{"timezone":"UTC","start":"2024-01-05T00:00:00+00:00","end":"2024-01-06T00:00:00+00:00","start_utc":"2024-01-05T00:00:00+00:00","end_utc":"2024-01-06T00:00:00+00:00"},"status":"missing","last_materialization":null,"params":[{"name":"partition_key","type":"VARCHAR","value":"2024-01-05"},{"name":"partition_keys","type":"VARCHAR[]","value":["2024-01-05"]},{"name":"partition_start","type":"TIMESTAMP","value":"2024-01-05 00:00:00"},{"name":"partition_end","type":"TIMESTAMP","value":"2024-01-06 00:00:00"}],"upstream":[{"asset":"events","mapping":"time_window","partitioned":true,"keys":["2024-01-04...2024-01-05"],"count":2,"required_but_nonexistent":[]},{"asset":"customers","mapping":"all","partitioned":false,"keys":null,"count":1,"required_but_nonexistent":[]}],"slice":"(day) >= $partition_start AND (day) < $partition_end","sql":"DELETE FROM \"events_2d\" WHERE ((day) >= $partition_start AND (day) < $partition_end);\nINSERT INTO \"events_2d\" BY NAME\nSELECT CAST($partition_start AS DATE) AS day, count(*) AS n FROM events\nWHERE day >= $partition_start - INTERVAL 1 DAY AND day < $partition_end;\n"}}
{"asset":{"name":"customers","kind":"sql","table":"customers","group":"default","description":null,"partition_expr":null,"deps":[]},"partitions":null,"partition":{"key":null,"index":null,"last":false,"window":null,"status":"missing","last_materialization":null,"params":[],"upstream":[],"slice":null,"sql":"CREATE OR REPLACE TABLE \"customers\" AS\nSELECT 1 AS id, 'acme' AS name;\n"}}
None 0 None

# --json of a command asset: its environment as an object
$ cp -r "$FIXTURES"/kinds/. . && export TRANCHE_NOW=2024-01-04 && tranche explain fetched --partition 2024-01-02 --json | python3 -c 'import json, sys; d = json.load(sys.stdin)["partition"]; print(d["key"], d["env"]["TRANCHE_PARTITION_START"], d["env"]["TRANCHE_PARTITION_KEYS"], d["sql"].splitlines()[1:])'
2024-01-02 2024-01-02T00:00:00 ["2024-01-02"] ['INSERT INTO "fetched" BY NAME', "SELECT * FROM read_csv('$TRANCHE_OUTPUT');"]

# errors: unknown asset, a key that is not written as keys are, one that does not exist yet,
# a static key that is not in the list, --partition on an unpartitioned asset, no ASSET
$ cp -r "$FIXTURES"/adopt/. . && export TRANCHE_NOW=2024-01-11 && tranche explain evnts; tranche explain events --partition 2024-1-2; tranche explain events --partition 2024-01-11; tranche explain by_category --partition Garden; tranche explain customers --partition x; tranche explain; tranche explain events sales; ls .tranche data
tranche: unknown asset "evnts" (did you mean "events"?)
tranche: asset events (daily partitions): partition key "2024-1-2" is not written as keys are: did you mean "2024-01-02"?
tranche: asset events (daily partitions): partition "2024-01-11" does not exist (yet, or it is past the end): partitions run from "2024-01-01" to "2024-01-10"
tranche: asset by_category (static partitions): unknown partition key "Garden"; valid keys: "Books", "Toys", "Home and Garden"
tranche: asset customers is unpartitioned: it has no partition keys (leave out --partition; a run replaces the whole table)
tranche: explain takes one ASSET (got 0)
usage: tranche explain ASSET [--partition KEY] [--json]
tranche: explain takes one ASSET (got 2)
usage: tranche explain ASSET [--partition KEY] [--json]
ls: cannot access '.tranche': No such file or directory
ls: cannot access 'data': No such file or directory
[exit 2]

# help
$ tranche explain --help
usage: tranche explain ASSET [--partition KEY] [--json]

Explains ASSET: its kind, table, group and dependencies; its partitions definition in words
(first and last partition, and why the last one is the last now); and for one partition
(--partition KEY, default the last): its time window, the parameters its SQL sees (or the
TRANCHE_* environment of a command), the upstream partitions it reads, its status and
last materialization, and the SQL that replaces its slice. Runs nothing.

options:
  -p, --partition KEY          the partition to explain (default: the last one)
      --json                   print one JSON object
  -C, --dir DIR                run as if started in DIR
      --project FILE           the project file (default: tranche.yaml)
      --now TIME               the current time (ISO 8601); default $TRANCHE_NOW or the clock
      --help                   show this help

