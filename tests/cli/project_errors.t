# Project files that tranche refuses: one case per refusal. Each error names the file, line and
# column and the key path, says what would be valid, exits 2, and nothing runs or is written.

# an unknown top-level key, with the nearest valid one
$ printf 'name: p\nasets: {}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:2:1: top level: unknown key "asets" (did you mean "assets"? valid keys: name, warehouse, storage, partitions, pools, defaults, assets)
[exit 2]

# an unknown asset key, with the nearest valid one
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    grup: x\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:5: assets.a: unknown key "grup" (did you mean "group"? valid keys: sql, sql_file, script, script_file, command, http, partitions, partition_expr, deps, group, description, owners, tags, code_version, metadata, checks, table, retries, backfill, pool, on_schema_change, outside_rows, output_format, timeout, env)
[exit 2]

# an asset that says nothing about how it is made
$ printf 'name: p\nassets:\n  a:\n    group: x\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:3: assets.a: says nothing about how it is made: give one of sql, sql_file, script, script_file, command, http (e.g. sql: SELECT ...)
[exit 2]

# two kinds at once
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    command: echo\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:5: assets.a: sql and command are both given; an asset is made by exactly one of sql, sql_file, script, script_file, command, http
[exit 2]

# a partitioned sql asset without partition_expr
$ printf 'name: p\nassets:\n  a:\n    partitions: {type: daily, start: 2024-01-01}\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:3: assets.a: partition_expr is required for a partitioned sql asset: the column (or SQL expression) that holds the partition value, which tranche compares with each partition to replace only its rows, e.g. partition_expr: order_date
[exit 2]

# partition_expr on an unpartitioned asset
$ printf 'name: p\nassets:\n  a:\n    partition_expr: day\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:5: assets.a.partition_expr: the asset has no partitions, so there is no partition value to compare with (add partitions: or remove partition_expr)
[exit 2]

# an unknown partitions name, with the nearest defined one
$ printf 'name: p\npartitions:\n  daily: {type: daily, start: 2024-01-01}\n  monthly: {type: monthly, start: 2024-01-01}\nassets:\n  a:\n    partitions: dayly\n    partition_expr: d\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:7:17: assets.a.partitions: unknown partitions "dayly" (did you mean "daily"? defined: daily, monthly)
[exit 2]

# a partitions definition that is not valid
$ printf 'name: p\nassets:\n  a:\n    partitions: {type: daily, start: 2024-13-01}\n    partition_expr: d\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:38: assets.a.partitions.start: "2024-13-01" is not a date in format %Y-%m-%d nor an ISO 8601 time such as 2024-01-31 or 2024-01-31T06:00 ("2024-13-01" does not match format "%Y-%m-%d": month 13 is not 1..12)
[exit 2]

# an unknown dependency, with the nearest asset
$ printf 'name: p\nassets:\n  orders:\n    sql: SELECT 1\n  b:\n    deps: [order]\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:12: assets.b.deps[0]: unknown asset "order" (did you mean "orders"?)
[exit 2]

# an asset depending on itself
$ printf 'name: p\nassets:\n  a:\n    deps: [a]\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:12: assets.a.deps[0]: asset "a" cannot depend on itself
[exit 2]

# the same dependency twice
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n  b:\n    deps: [a, a]\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:15: assets.b.deps[1]: "a" is listed twice (also at 6:12)
[exit 2]

# a cycle, named
$ printf 'name: p\nassets:\n  a:\n    deps: [c]\n    sql: SELECT 1\n  b:\n    deps: [a]\n    sql: SELECT 1\n  c:\n    deps: [b]\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:12: assets.a.deps: dependency cycle: a -> c -> b -> a (each asset depends on the next); remove one of these dependencies
[exit 2]

# a cycle found in the SQL
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT * FROM b\n  b:\n    sql: SELECT * FROM a\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:3: assets.a: dependency cycle: a -> b -> a (each asset depends on the next; some were inferred from the tables the SQL reads); remove one of these dependencies
[exit 2]

# no default mapping fits: daily reading static
$ printf 'name: p\npartitions:\n  daily: {type: daily, start: 2024-01-01}\nassets:\n  regions:\n    partitions: {type: static, keys: [eu, us]}\n    partition_expr: r\n    sql: SELECT 1\n  d:\n    partitions: daily\n    partition_expr: d\n    deps: [regions]\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:12:12: assets.d.deps[0]: no default partition mapping from "regions" (static partitions) to "d" (daily partitions): the default, identity, reads the upstream partition with the same key, and static and daily partitions have no keys in common; give one, e.g. {asset: regions, mapping: all}
[exit 2]

# a given mapping that does not fit the two definitions
$ printf 'name: p\nassets:\n  m:\n    partitions: {type: monthly, start: 2024-01-01}\n    partition_expr: d\n    sql: SELECT 1\n  s:\n    partitions: {type: static, keys: [x]}\n    partition_expr: k\n    deps: [{asset: m, mapping: {type: time_window}}]\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:10:32: assets.s.deps[0].mapping: time_window mapping: needs time-window partitions on both sides, but the downstream side is static (upstream "m": monthly partitions, this asset: static partitions)
[exit 2]

# an unknown mapping type
$ printf 'name: p\nassets:\n  u:\n    sql: SELECT 1\n  d:\n    deps: [{asset: u, mapping: {type: idnetity}}]\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:39: assets.d.deps[0].mapping.type: unknown mapping type "idnetity" (valid: identity, time_window, all, last, specific, static, multi_to_single, multi)
[exit 2]

# partition_expr of a multi asset missing a dimension
$ printf 'name: p\nassets:\n  m:\n    partitions: {type: multi, dimensions: {day: {type: daily, start: 2024-01-01}, region: {type: static, keys: [eu]}, cat: {type: static, keys: [a]}}}\n    partition_expr: {day: d, region: r}\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:21: assets.m.partition_expr: no expression for dimension "cat": every dimension needs one (partition_expr: {cat: COLUMN, day: COLUMN, region: COLUMN})
[exit 2]

# partition_expr of a multi asset naming a dimension it does not have
$ printf 'name: p\nassets:\n  m:\n    partitions: {type: multi, dimensions: {day: {type: daily, start: 2024-01-01}, region: {type: static, keys: [eu]}}}\n    partition_expr: {day: d, region: r, regoin: x}\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:41: assets.m.partition_expr: unknown key "regoin" (did you mean "region"? valid keys: day, region)
[exit 2]

# blocking on a check that is not severity: error
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n      - name: c\n        sql: SELECT 1\n        blocking: true\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:8:19: assets.a.checks[0]: blocking: only a check with severity: error can block (a warn check never stops downstream partitions); add severity: error
[exit 2]

# a severity that does not exist
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n      - name: c\n        sql: SELECT 1\n        severity: fatal\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:8:19: assets.a.checks[0].severity: "fatal" is not one of warn, error
[exit 2]

# two checks of one asset with the same name
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n      - name: c\n        sql: SELECT 1\n      - name: c\n        sql: SELECT 2\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:8:15: assets.a.checks[1]: name: two checks of asset "a" are named "c" (checks[0] and checks[1]); check names are unique per asset
[exit 2]

# timeout on a sql asset
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    timeout: 5m\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:5: assets.a.timeout: only for command assets; this is a sql asset
[exit 2]

# a timeout that is not a duration
$ printf 'name: p\nassets:\n  a:\n    command: echo\n    timeout: 5 minutes\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:14: assets.a.timeout: "5 minutes" is not a duration: give seconds (90) or a number with ms, s, m or h (500ms, 90s, 5m, 1h)
[exit 2]

# an output_format tranche cannot read
$ printf 'name: p\nassets:\n  a:\n    command: echo\n    output_format: xml\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:20: assets.a.output_format: "xml" is not one of csv, json, parquet
[exit 2]

# an unknown pool, with the nearest declared one and the list
$ printf 'name: p\npools:\n  orders_api: {max_concurrency: 2}\n  big_queries: {max_concurrency: 1}\nassets:\n  a:\n    sql: SELECT 1\n    pool: orders_apj\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:8:11: assets.a.pool: unknown pool "orders_apj" (did you mean "orders_api"? declared: orders_api, big_queries)
[exit 2]

# a pool when the project declares none: how to declare one
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    pool: orders_api\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:11: assets.a.pool: unknown pool "orders_api": no pools are declared (declare it at the top level: pools: {orders_api: {max_concurrency: 1}})
[exit 2]

# a pool that limits nothing
$ printf 'name: p\npools:\n  api: {}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:3: pools.api: limits nothing: give max_concurrency (steps running at once), rate (steps started per period) or both, e.g. {max_concurrency: 2} or {rate: 10/minute}
[exit 2]

# a pool of no concurrency
$ printf 'name: p\npools:\n  api: {max_concurrency: 0}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:26: pools.api.max_concurrency: must be at least 1 (steps of the pool's assets running at once; leave it out for no limit), got 0
[exit 2]

# a rate that is not COUNT/PERIOD
$ printf 'name: p\npools:\n  api: {rate: 5 per minute}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:15: pools.api.rate: "5 per minute" is not a rate: give COUNT/UNIT with UNIT second, minute, hour or day (10/minute), or COUNT/DURATION (5/90s, 10/15m, 100/2h)
[exit 2]

# a rate of 0
$ printf 'name: p\npools:\n  api: {rate: 0/minute}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:15: pools.api.rate: "0/minute": the count must be at least 1 (leave rate out for no limit)
[exit 2]

# an unknown key in retries, with the nearest valid one
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    retries: {max: 3, dealy: 10s}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:23: assets.a.retries: unknown key "dealy" (did you mean "delay"? valid keys: max, delay, backoff)
[exit 2]

# retries without max
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    retries: {delay: 10s}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:14: assets.a.retries: max: required: how many times a failed step is tried again (0 to 100), e.g. {max: 3, delay: 10s}
[exit 2]

# a backoff that would shrink the delay
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    retries: {max: 3, backoff: 0.5}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:32: assets.a.retries.backoff: must be at least 1 (the factor by which the delay grows after each retry; 1 keeps it constant), got 0.5
[exit 2]

# a delay that is not a duration
$ printf 'name: p\ndefaults:\n  retries: {max: 3, delay: soon}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:28: defaults.retries.delay: "soon" is not a duration: give seconds (10, 0.5) or a number with a unit (500ms, 10s, 2m, 1h)
[exit 2]

# single_run has no max_partitions_per_run
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    backfill: {policy: single_run, max_partitions_per_run: 10}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:36: assets.a.backfill.max_partitions_per_run: single_run has no max_partitions_per_run: it runs each contiguous range of partitions as one step, however long (as Dagster's BackfillPolicy.single_run()); for steps of at most N partitions write {policy: multi_run, max_partitions_per_run: N}
[exit 2]

# steps of no partitions
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    backfill: {policy: multi_run, max_partitions_per_run: 0}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:59: assets.a.backfill.max_partitions_per_run: must be at least 1 (the most partitions one step covers), got 0
[exit 2]

# an unknown key under defaults
$ printf 'name: p\ndefaults:\n  retires: {max: 1}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:3: defaults: unknown key "retires" (did you mean "retries"? valid keys: retries, backfill)
[exit 2]

# an asset name that is not an identifier
$ printf 'name: p\nassets:\n  my-asset:\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:3: assets.my-asset: "my-asset" is not a valid asset name: asset names are table names, made of letters, digits and _, not starting with a digit (e.g. monthly_sales)
[exit 2]

# two assets writing one table (main.x is x, names compared without case)
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n    table: main.Shared\n  b:\n    sql: SELECT 1\n    table: shared\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:8:12: assets.b: writes table "shared", which asset "a" (line 3) writes too; give one of them its own table (table: NAME)
[exit 2]

# a sql_file that cannot be read (a project file error: exit 2)
$ printf 'name: p\nassets:\n  a:\n    sql_file: sql/a.sql\n' > tranche.yaml && tranche assets 2>&1 | sed "s|$PWD|PROJECT|"; echo "exit ${PIPESTATUS[0]}"
tranche: tranche.yaml:4:15: assets.a.sql_file: cannot read "sql/a.sql" (PROJECT/sql/a.sql): No such file or directory
exit 2

# no name
$ printf 'assets:\n  a:\n    sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:1:1: name: required: the project's name (e.g. name: sales)
[exit 2]

# no tranche.yaml: the message says how to make one
$ tranche assets; tranche materialize '*' --all; tranche status a; echo "exit $?"; ls -A
tranche: no tranche.yaml in . (create one with "tranche init")
tranche: no tranche.yaml in . (create one with "tranche init")
tranche: no tranche.yaml in . (create one with "tranche init")
exit 2

# ... in the directory given with -C, which the message names
$ mkdir sub && tranche assets -C sub; tranche assets -C nowhere
tranche: no tranche.yaml in sub (create one with "tranche init sub")
tranche: -C nowhere: No such file or directory
[exit 2]

# a YAML syntax error: an unclosed flow mapping
$ printf 'name: p\nassets:\n  a: {sql: SELECT 1\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:1: did not find expected ',' or '}' (while parsing a flow mapping at 3:6)
[exit 2]

# a YAML syntax error: bad indentation
$ printf 'name: p\nassets:\n  a:\n    sql: SELECT 1\n   bad: indent\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:4: did not find expected key (while parsing a block mapping at 3:3)
[exit 2]

# nothing is written when the project file is refused, whatever the command
$ printf 'name: p\nassets:\n  a:\n    partitions: {type: daily, start: 2024-01-01}\n    sql: SELECT 1\n' > tranche.yaml && set -f && for c in assets 'materialize * --all' 'materialize a --all --dry-run' 'status a' runs 'logs last' checks 'query SELECT 1' 'wipe a'; do tranche $c >/dev/null 2>&1; echo "$c: exit $?"; done; ls -A
assets: exit 2
materialize * --all: exit 2
materialize a --all --dry-run: exit 2
status a: exit 2
runs: exit 2
logs last: exit 2
checks: exit 2
query SELECT 1: exit 2
wipe a: exit 2
tranche.yaml

