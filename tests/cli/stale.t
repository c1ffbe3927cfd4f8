# Stale partitions: materialized ones that read an upstream partition materialized after them
# (docs/assets.md, "Stale partitions"), and --stale, which picks them.
$ printf 'name: s\nassets:\n  raw:\n    partitions: {type: daily, start_date: 2024-01-01}\n    partition_expr: day\n    sql: SELECT $partition_start::DATE AS day, 1 AS v\n  clean:\n    partitions: {type: daily, start_date: 2024-01-01}\n    partition_expr: day\n    deps: [raw]\n    sql: SELECT day, v * 2 AS v FROM raw WHERE day = $partition_start::DATE\n  monthly:\n    partitions: {type: monthly, start_date: 2024-01-01}\n    partition_expr: month\n    deps: [clean]\n    sql: SELECT date_trunc($$month$$, day) AS month, sum(v) AS v FROM clean WHERE day >= $partition_start::DATE AND day < $partition_end::DATE GROUP BY 1\n  total:\n    deps: [monthly]\n    sql: SELECT sum(v) AS v FROM monthly\n' > tranche.yaml && export TRANCHE_NOW=2024-03-01 && tranche materialize '*' --all >/dev/null && tranche materialize raw --from 2024-01-05 --to 2024-01-06 && tranche status clean && tranche assets && tranche materialize '*' --stale --dry-run --json | python3 -c 'import json, sys; [print(a["asset"], a["ranges"]) for a in json.load(sys.stdin)["assets"]]' && tranche materialize '*' --stale && tranche status clean --json && tranche status monthly && tranche materialize '*' --stale
run 2 (backfill 2) succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
clean: 60 daily partitions
  materialized      60  2024-01-01...2024-02-29
    stale            2  2024-01-05...2024-01-06
  failed             0
  in progress        0
  missing            0
ASSET    KIND  GROUP    PARTITIONS   DEPS     MATERIALIZED     FAILED  MISSING
raw      sql   default  daily (60)   -        60/60            0       0
clean    sql   default  daily (60)   raw      60/60 (2 stale)  0       0
monthly  sql   default  monthly (2)  clean    2/2              0       0
total    sql   default  -            monthly  1/1              0       0
clean ['2024-01-05...2024-01-06']
monthly ['2024-01-01']
total None
run 3 (backfill 3) succeeded: 4 steps, 4 succeeded, 0 failed, 0 skipped
{"asset":"clean","total":60,"counts":{"materialized":60,"stale":0,"failed":0,"in_progress":0,"missing":0},"ranges":{"materialized":["2024-01-01...2024-02-29"],"stale":[],"failed":[],"in_progress":[],"missing":[]}}
monthly: 2 monthly partitions
  materialized       2  2024-01-01...2024-02-01
  failed             0
  in progress        0
  missing            0
nothing to do: no partition of the selection matches

$ printf 'name: s\nassets:\n  raw:\n    partitions: {type: daily, start_date: 2024-01-01}\n    partition_expr: day\n    sql: SELECT $partition_start::DATE AS day, 1 AS v\n  clean:\n    partitions: {type: daily, start_date: 2024-01-01}\n    partition_expr: day\n    deps: [raw]\n    sql: SELECT day, v FROM raw WHERE day = $partition_start::DATE\n' > tranche.yaml && export TRANCHE_NOW=2024-01-11 && tranche materialize raw --all >/dev/null && tranche materialize clean --from 2024-01-01 --to 2024-01-05 >/dev/null && tranche materialize raw --partition 2024-01-02 >/dev/null && tranche materialize clean --missing --stale --dry-run | head -1 && tranche materialize clean --stale --all; tranche status clean
plan: 6 steps, 6 partitions of 1 asset (dry run: nothing is written)
tranche: choose one of --partition, --from/--to, --missing, --stale (or --missing --stale), --failed, --all
clean: 10 daily partitions
  materialized       5  2024-01-01...2024-01-05
    stale            1  2024-01-02
  failed             0
  in progress        0
  missing            5  2024-01-06...2024-01-10

