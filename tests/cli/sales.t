# The sales example (tranche init --example sales): every asset materialized, the tables
# checked against the CSV files by verify.sql. TRANCHE_NOW=2026-01-01: months 2024-01 .. 2025-12.

# everything, then verify.sql as its header says to run it: 0 differences
$ tranche init s --example sales >/dev/null && cd s && export TRANCHE_NOW=2026-01-01 && tranche materialize '*' --all && tranche query "$(cat verify.sql)"
run 1 (backfill 1) succeeded: 32 steps, 32 succeeded, 0 failed, 0 skipped
1 check did not pass: tranche checks
 differences
-------------
           0
(1 row)

# the same check with the query read from the file
$ tranche init s --example sales >/dev/null && cd s && export TRANCHE_NOW=2026-01-01 && tranche materialize '*' --all >/dev/null && tranche query @verify.sql
 differences
-------------
           0
(1 row)

# missing_dimension_check fails (15 orders name an unknown rep or product): tranche checks exits 1
$ tranche init s --example sales >/dev/null && cd s && export TRANCHE_NOW=2026-01-01 && tranche materialize '*' --all >/dev/null; tranche checks; echo "exit $?"; tranche checks joined_data --json | python3 -c 'import json, sys; [print(c["check"], c["passed"], c["severity"], c["message"]) for c in json.load(sys.stdin)]' && tranche logs 1 --json | python3 -c 'import json, sys; [print(e["data"]["failing_rows"], len(e["data"]["sample"])) for e in map(json.loads, sys.stdin) if e["type"] == "check"]'
ASSET        CHECK                    PARTITION  RESULT  SEVERITY  DETAILS
joined_data  missing_dimension_check  -          FAILED  error     15 failing rows
exit 1
missing_dimension_check False error 15 failing rows
15 5

# 24 monthly partitions materialized, 4 product categories
$ tranche init s --example sales >/dev/null && cd s && export TRANCHE_NOW=2026-01-01 && tranche materialize '*' --all >/dev/null; tranche status monthly_sales_performance && tranche status product_performance && tranche assets --json | python3 -c 'import json, sys; [print(a["name"], a["kind"], a["group"], a["deps"], a["counts"]) for a in json.load(sys.stdin)]'
monthly_sales_performance: 24 monthly partitions
  materialized      24  2024-01-01...2025-12-01
  failed             0
  in progress        0
  missing            0
product_performance: 4 static partitions
  materialized       4  Electronics...Clothing
  failed             0
  in progress        0
  missing            0
products sql raw [] {'materialized': 1, 'stale': 0, 'failed': 0, 'missing': 0, 'in_progress': 0}
sales_reps sql raw [] {'materialized': 1, 'stale': 0, 'failed': 0, 'missing': 0, 'in_progress': 0}
sales_data sql raw [] {'materialized': 1, 'stale': 0, 'failed': 0, 'missing': 0, 'in_progress': 0}
joined_data sql joined ['sales_data', 'sales_reps', 'products'] {'materialized': 1, 'stale': 0, 'failed': 0, 'missing': 0, 'in_progress': 0}
monthly_sales_performance sql analytics ['joined_data'] {'materialized': 24, 'stale': 0, 'failed': 0, 'missing': 0, 'in_progress': 0}
product_performance sql analytics ['joined_data'] {'materialized': 4, 'stale': 0, 'failed': 0, 'missing': 0, 'in_progress': 0}

# a month materialized again: same rows, same totals, still 0 differences
$ tranche init s --example sales >/dev/null && cd s && export TRANCHE_NOW=2026-01-01 && tranche materialize '*' --all >/dev/null; q="SELECT count(*) AS n, round(sum(total_dollar_amount), 2) AS total, count(DISTINCT partition_date) AS months FROM monthly_sales_performance"; tranche query "$q" && tranche query "SELECT count(*) FROM monthly_sales_performance WHERE partition_date = DATE '2024-03-01'" && tranche materialize monthly_sales_performance --partition 2024-03-01 && tranche logs last --json | python3 -c 'import json, sys; [print(e["partition"], e["data"]["row_count"], e["data"]["rows_deleted"]) for e in map(json.loads, sys.stdin) if e["type"] == "materialization"]' && tranche query "$q" && tranche query @verify.sql
    n |      total | months
------+------------+--------
 7594 | 4135898.53 |     24
(1 row)
 count_star()
--------------
          279
(1 row)
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
2024-03-01 279 279
    n |      total | months
------+------------+--------
 7594 | 4135898.53 |     24
(1 row)
 differences
-------------
           0
(1 row)

# a month's slice is replaced, not appended to: orders of February and March changed in the
# source (+1000 each), only March materialized again: March's total moves by 1000 x its orders, February's not
$ tranche init s --example sales >/dev/null && cd s && export TRANCHE_NOW=2026-01-01 && tranche materialize '*' --all >/dev/null; q="SELECT partition_date, count(*) AS n, round(sum(total_dollar_amount), 2) AS total FROM monthly_sales_performance WHERE partition_date IN ('2024-02-01', '2024-03-01') GROUP BY 1 ORDER BY 1"; tranche query "$q" && tranche query "COPY (SELECT * REPLACE (CASE WHEN date >= DATE '2024-02-01' AND date < DATE '2024-04-01' THEN dollar_amount + 1000 ELSE dollar_amount END AS dollar_amount) FROM read_csv('data/sales_data.csv', header = true)) TO 'data/new.csv' (HEADER)" >/dev/null && mv data/new.csv data/sales_data.csv && tranche query "SELECT count(*) AS march_orders FROM read_csv('data/sales_data.csv', header = true) WHERE date >= DATE '2024-03-01' AND date < DATE '2024-04-01'" && tranche materialize sales_data,joined_data >/dev/null; tranche materialize monthly_sales_performance --partition 2024-03-01 && tranche query "$q"
 partition_date |   n |     total
----------------+-----+-----------
 2024-02-01     | 278 | 165631.79
 2024-03-01     | 279 | 155045.17
(2 rows)
 march_orders
--------------
          706
(1 row)
run 3 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 partition_date |   n |     total
----------------+-----+-----------
 2024-02-01     | 278 | 165631.79
 2024-03-01     | 279 | 861045.17
(2 rows)

