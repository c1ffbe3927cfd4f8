# tranche init: a new project, an example project, and refusals that write nothing.

$ tranche init --help
usage: tranche init [DIR] [--example NAME] [-C DIR]

Create a project in DIR (default: the current directory; created if missing):
a tranche.yaml with one asset to start from, or with --example NAME a complete
example project with its data. Existing files are never overwritten: if any
file init would write exists, it refuses and writes nothing.

options:
      --example NAME           start from an example project: sales, stocks
  -C, --dir DIR                run as if started in DIR
      --help                   show this help

# a minimal project: the name comes from the directory
$ tranche init shop && find shop | sort && sed 's/^/| /' shop/tranche.yaml
created a project in shop:
  shop/tranche.yaml
next:
  cd shop && tranche materialize '*' --all
shop
shop/tranche.yaml
| # The tranche project "shop". Build every asset: tranche materialize '*' --all
| # The project file's keys are described in tranche's docs/project.md.
| name: shop
| 
| # Partitions definitions that assets refer to by name (see a daily one below).
| # partitions:
| #   daily: {type: daily, start: 2024-01-01}
| 
| assets:
|   # An unpartitioned asset: the table "hello" holds the query's rows and is
|   # replaced whole each time it is materialized.
|   hello:
|     description: A first asset, to check that everything runs.
|     sql: SELECT 'hello from tranche' AS greeting, 42 AS answer
| 
|   # A daily partitioned asset: one partition per day. $partition_start and
|   # $partition_end are the day's bounds, passed to the query as parameters;
|   # partition_expr is the column that puts a row in its partition, so that
|   # materializing one day replaces exactly that day's rows.
|   #
|   # daily_events:
|   #   partitions: daily
|   #   partition_expr: event_date
|   #   sql: |
|   #     SELECT CAST(ts AS DATE) AS event_date, count(*) AS events
|   #     FROM read_csv('data/events.csv', header = true)
|   #     WHERE ts >= $partition_start AND ts < $partition_end
|   #     GROUP BY ALL

$ mkdir My-Shop.v2 && cd My-Shop.v2 && tranche init && grep '^name:' tranche.yaml
created a project in .:
  tranche.yaml
next:
  tranche materialize '*' --all
name: my_shop_v2

# -C: as if started in DIR; the printed paths hold from where tranche was started
$ mkdir work && tranche init -C work sub/p && find work | sort
created a project in work/sub/p:
  work/sub/p/tranche.yaml
next:
  cd work/sub/p && tranche materialize '*' --all
work
work/sub
work/sub/p
work/sub/p/tranche.yaml

$ tranche init --example sales sales && find sales | sort && ls -l sales/generate.py | cut -c1-10
created the example project "sales" in sales:
  sales/README.md
  sales/data/products.csv
  sales/data/sales_data.csv
  sales/data/sales_reps.csv
  sales/generate.py
  sales/tranche.yaml
  sales/verify.sql
next:
  cd sales && tranche materialize '*' --all
sales
sales/README.md
sales/data
sales/data/products.csv
sales/data/sales_data.csv
sales/data/sales_reps.csv
sales/generate.py
sales/tranche.yaml
sales/verify.sql
-rwxr-xr-x

# the embedded generator writes the embedded CSV files again, byte for byte
$ tranche init --example sales s >/dev/null && cd s && python3 generate.py --out regenerated && cmp data/products.csv regenerated/products.csv && cmp data/sales_reps.csv regenerated/sales_reps.csv && cmp data/sales_data.csv regenerated/sales_data.csv && echo same bytes
wrote 40 products, 12 sales reps, 17832 orders to regenerated
same bytes

# the binary holds examples/sales as it is in the tree (else: make, to embed it again)
$ tranche init --example sales s >/dev/null && diff -r -x .tranche -x '*.duckdb' -x '*.wal' "$(dirname "$FIXTURES")/../../examples/sales" s && echo same files
same files

# never overwrites: nothing is written when a file is in the way
$ mkdir p && echo 'name: mine' >p/tranche.yaml && { tranche init --example sales p || echo "[exit $?]"; } && find p | sort && cat p/tranche.yaml
tranche: p/tranche.yaml already exists: tranche init never overwrites files
[exit 1]
p
p/tranche.yaml
name: mine

$ mkdir p && echo 'name: mine' >p/tranche.yaml && { tranche init p || echo "[exit $?]"; } && cat p/tranche.yaml
tranche: p/tranche.yaml already exists: tranche init never overwrites files
[exit 1]
name: mine

$ mkdir -p p/data && touch p/data/products.csv && { tranche init --example sales p || echo "[exit $?]"; } && find p | sort
tranche: p/data/products.csv already exists: tranche init never overwrites files
[exit 1]
p
p/data
p/data/products.csv

$ mkdir p && touch p/data && { tranche init --example sales p || echo "[exit $?]"; } && find p | sort
tranche: p/data exists and is not a directory
[exit 1]
p
p/data

$ touch p && tranche init p
tranche: p exists and is not a directory
[exit 1]

# unknown examples name those available
$ tranche init --example sails p || echo "[exit $?]"; ls
tranche: --example: unknown example "sails" (available: sales, stocks)
[exit 2]

$ tranche init a b
tranche: init takes one directory (got "a" and "b")
usage: tranche init [DIR] [--example NAME] [-C DIR]
[exit 2]

$ tranche init -C missing
tranche: -C missing: No such file or directory
[exit 2]

