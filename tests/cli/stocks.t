# The stocks example (tranche init --example stocks) end to end on its sample data: symbols as
# dynamic partitions, a backfill, the next trading day, verify.sql, checks, failed days.
# The clock: TRANCHE_NOW=2025-12-31T18:00:00-05:00 (New Year's Eve after the close: the last
# partition is 2025-12-30) and 2026-01-01T06:00:00-05:00 (the next morning: 2025-12-31 is over).
# raw_prices is in a pool of 5 starts a minute, counted across runs: no case starts it more
# than 5 times, so that none waits.

# the files, and generate.py writes the sample again byte for byte
$ tranche init st --example stocks && cd st && python3 generate.py --out regenerated && for s in IBM AAPL MSFT; do cmp sample/$s.csv regenerated/$s.csv || exit 1; done && echo same bytes && head -3 sample/IBM.csv && wc -l sample/*.csv
created the example project "stocks" in st:
  st/README.md
  st/generate.py
  st/sample/AAPL.csv
  st/sample/IBM.csv
  st/sample/MSFT.csv
  st/tranche.yaml
  st/verify.sql
next:
  cd st && tranche partitions add symbols IBM AAPL MSFT && tranche materialize '*' --all
regenerated/IBM.csv: 260 trading days, 2025-01-02 to 2025-12-31
regenerated/AAPL.csv: 260 trading days, 2025-01-02 to 2025-12-31
regenerated/MSFT.csv: 260 trading days, 2025-01-02 to 2025-12-31
same bytes
timestamp,open,high,low,close,volume
2025-12-31,125.9300,126.6400,125.1200,125.5600,5019130
2025-12-30,126.9300,127.4100,125.8400,126.1800,3280642
  261 sample/AAPL.csv
  261 sample/IBM.csv
  261 sample/MSFT.csv
  783 total

# before any symbol there are no partitions; the symbols make them (259 trading days, 51 weeks)
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2025-12-31T18:00:00-05:00 && tranche assets && tranche partitions add symbols IBM AAPL MSFT && tranche assets
ASSET               KIND  GROUP      PARTITIONS                   DEPS                MATERIALIZED  FAILED  MISSING
raw_prices          http  raw        symbols: dynamic (0)         -                   0/0           0       0
daily_prices        sql   prices     daily_by_symbol: multi (0)   raw_prices          0/0           0       0
weekly_summary      sql   analytics  weekly_by_symbol: multi (0)  daily_prices        0/0           0       0
moving_average_20d  sql   analytics  daily_by_symbol: multi (0)   daily_prices        0/0           0       0
latest_close        sql   analytics  -                            moving_average_20d  0/1           0       1
added 3 keys to dynamic partitions "symbols" (0 already there)
ASSET               KIND  GROUP      PARTITIONS                     DEPS                MATERIALIZED  FAILED  MISSING
raw_prices          http  raw        symbols: dynamic (3)           -                   0/3           0       3
daily_prices        sql   prices     daily_by_symbol: multi (777)   raw_prices          0/777         0       777
weekly_summary      sql   analytics  weekly_by_symbol: multi (153)  daily_prices        0/153         0       153
moving_average_20d  sql   analytics  daily_by_symbol: multi (777)   daily_prices        0/777         0       777
latest_close        sql   analytics  -                              moving_average_20d  0/1           0       1

# keys: a trading day is a weekday in New York (Friday's window runs to Monday); weeks start on Monday
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2025-12-31T18:00:00-05:00 && tranche partitions add symbols IBM >/dev/null && tranche explain daily_prices --partition '2025-12-26|IBM' | sed -n '/^partition /,/^  window/p;/^    /d' | head -3 && tranche explain weekly_summary --partition '2025-12-22|IBM' | grep -A1 '^  reads:'
partition 2025-12-26|IBM
  window: [2025-12-26T00:00:00-05:00, 2025-12-29T00:00:00-05:00) wall clock in America/New_York
  reads:
    daily_prices (multi, mapping multi): 5 partitions: 2025-12-22|IBM...2025-12-26|IBM

# the backfill plan: one step per symbol and asset (single_run), 13 in all
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2025-12-31T18:00:00-05:00 && tranche partitions add symbols IBM AAPL MSFT >/dev/null && tranche materialize '*' --all --dry-run | grep -v '^  '
plan: 13 steps, 1711 partitions of 5 assets (dry run: nothing is written)
raw_prices IBM
raw_prices AAPL
raw_prices MSFT
daily_prices 2025-01-02|IBM...2025-12-30|IBM (259 partitions, one step)
daily_prices 2025-01-02|AAPL...2025-12-30|AAPL (259 partitions, one step)
daily_prices 2025-01-02|MSFT...2025-12-30|MSFT (259 partitions, one step)
weekly_summary 2025-01-06|IBM...2025-12-22|IBM (51 partitions, one step)
weekly_summary 2025-01-06|AAPL...2025-12-22|AAPL (51 partitions, one step)
weekly_summary 2025-01-06|MSFT...2025-12-22|MSFT (51 partitions, one step)
moving_average_20d 2025-01-02|IBM...2025-12-30|IBM (259 partitions, one step)
moving_average_20d 2025-01-02|AAPL...2025-12-30|AAPL (259 partitions, one step)
moving_average_20d 2025-01-02|MSFT...2025-12-30|MSFT (259 partitions, one step)
latest_close

# end to end: two symbols backfilled on New Year's Eve; the next morning a third symbol is
# added, the series refreshed (one request per symbol), and what is missing loaded: the new day
# of IBM and AAPL, the whole year of MSFT. verify.sql: 0 mismatches on every asset
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2025-12-31T18:00:00-05:00 && tranche partitions add symbols IBM AAPL && tranche materialize '*' --all && tranche status daily_prices && export TRANCHE_NOW=2026-01-01T06:00:00-05:00 && tranche partitions add symbols MSFT && tranche status daily_prices && tranche materialize raw_prices --all && tranche materialize 'daily_prices+' --missing && tranche materialize latest_close && for a in daily_prices weekly_summary moving_average_20d; do tranche status $a; done && tranche query @verify.sql && tranche query "SELECT * FROM latest_close" && tranche checks >/dev/null && echo "checks: exit $?, $(tranche checks | grep -c passed) passed, $(tranche checks | grep -vc passed) other line"
added 2 keys to dynamic partitions "symbols" (0 already there)
run 1 (backfill 1) succeeded: 1141 partitions in 9 steps, 1141 succeeded, 0 failed, 0 skipped
daily_prices: 518 multi partitions
  materialized     518  2025-01-02|IBM...2025-12-30|AAPL
  failed             0
  in progress        0
  missing            0
added 1 key to dynamic partitions "symbols" (0 already there)
daily_prices: 780 multi partitions
  materialized     518  2025-01-02|IBM...2025-01-02|AAPL, 2025-01-03|IBM...2025-01-03|AAPL, 2025-01-06|IBM...2025-01-06|AAPL, 2025-01-07|IBM...2025-01-07|AAPL, 2025-01-08|IBM...2025-01-08|AAPL, 2025-01-09|IBM...2025-01-09|AAPL, 2025-01-10|IBM...2025-01-10|AAPL, 2025-01-13|IBM...2025-01-13|AAPL, ... (259 ranges; --json lists all)
  failed             0
  in progress        0
  missing          262  2025-01-02|MSFT, 2025-01-03|MSFT, 2025-01-06|MSFT, 2025-01-07|MSFT, 2025-01-08|MSFT, 2025-01-09|MSFT, 2025-01-10|MSFT, 2025-01-13|MSFT, ... (259 ranges; --json lists all)
run 2 (backfill 2) succeeded: 3 steps, 3 succeeded, 0 failed, 0 skipped
run 3 (backfill 3) succeeded: 575 partitions in 7 steps, 575 succeeded, 0 failed, 0 skipped
run 4 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
daily_prices: 780 multi partitions
  materialized     780  2025-01-02|IBM...2025-12-31|MSFT
    stale          518  2025-01-02|IBM...2025-01-02|AAPL, 2025-01-03|IBM...2025-01-03|AAPL, 2025-01-06|IBM...2025-01-06|AAPL, 2025-01-07|IBM...2025-01-07|AAPL, 2025-01-08|IBM...2025-01-08|AAPL, 2025-01-09|IBM...2025-01-09|AAPL, 2025-01-10|IBM...2025-01-10|AAPL, 2025-01-13|IBM...2025-01-13|AAPL, ... (259 ranges; --json lists all)
  failed             0
  in progress        0
  missing            0
weekly_summary: 153 multi partitions
  materialized     153  2025-01-06|IBM...2025-12-22|MSFT
  failed             0
  in progress        0
  missing            0
moving_average_20d: 780 multi partitions
  materialized     780  2025-01-02|IBM...2025-12-31|MSFT
  failed             0
  in progress        0
  missing            0
 asset              | expected_rows | mismatches
--------------------+---------------+------------
 daily_prices       |           780 |          0
 weekly_summary     |           153 |          0
 moving_average_20d |           780 |          0
 latest_close       |             3 |          0
(4 rows)
 symbol | day        |    close |  change | change_pct | avg_close_20d
--------+------------+----------+---------+------------+---------------
 AAPL   | 2025-12-31 | 200.3700 |  0.7500 |       0.38 |      198.7075
 IBM    | 2025-12-31 | 125.5600 | -0.6200 |      -0.49 |      124.7845
 MSFT   | 2025-12-31 | 251.1800 | -1.1700 |      -0.46 |      265.9435
(3 rows)
checks: exit 0, 1560 passed, 1 other line

# the same in one go, and the moving average reads 20 trading days (NULL before the 20th)
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2026-01-01T06:00:00-05:00 && tranche partitions add symbols IBM AAPL MSFT >/dev/null && tranche materialize '*' --all && tranche query @verify.sql && tranche query "SELECT day, close, avg_close_20d, days_in_window FROM moving_average_20d WHERE symbol = 'IBM' AND day BETWEEN '2025-01-28' AND '2025-02-03' ORDER BY day"
run 1 (backfill 1) succeeded: 1717 partitions in 13 steps, 1717 succeeded, 0 failed, 0 skipped
 asset              | expected_rows | mismatches
--------------------+---------------+------------
 daily_prices       |           780 |          0
 weekly_summary     |           153 |          0
 moving_average_20d |           780 |          0
 latest_close       |             3 |          0
(4 rows)
 day        |    close | avg_close_20d | days_in_window
------------+----------+---------------+----------------
 2025-01-28 | 151.8100 |          NULL |             19
 2025-01-29 | 155.7500 |       161.767 |             20
 2025-01-30 | 156.4600 |       161.465 |             20
 2025-01-31 | 157.9000 |      161.1835 |             20
 2025-02-03 | 156.3900 |       160.761 |             20
(5 rows)

# a partition is replaced, not appended to: a day spoiled in the table shows in verify.sql, and
# loading that day again puts it right (one row, as before) without touching the others
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2026-01-01T06:00:00-05:00 && tranche partitions add symbols IBM AAPL MSFT >/dev/null && tranche materialize '*' --all >/dev/null && tranche query "UPDATE daily_prices SET close = close + 1 WHERE symbol = 'IBM' AND day = '2025-06-02'" >/dev/null && tranche query @verify.sql | grep daily_prices && tranche materialize daily_prices --partition '2025-06-02|IBM' && tranche query @verify.sql | grep daily_prices && tranche query "SELECT count(*) AS rows FROM daily_prices"
 daily_prices       |           780 |          2
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 daily_prices       |           780 |          0
 rows
------
  780
(1 row)

# a failed refresh: Alpha Vantage answers MSFT with its daily limit (HTTP 200, a JSON
# "Information"); fail_when fails the partition with the API's message, nothing is written;
# once the answer is right again, --failed runs just that one
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2026-01-01T06:00:00-05:00 && tranche partitions add symbols IBM AAPL MSFT >/dev/null && tranche materialize '*' --all >/dev/null && printf '{\n    "Information": "We have detected your API key as demo and our standard API rate limit is 25 requests per day."\n}\n' >sample/MSFT.csv && tranche materialize raw_prices --partition MSFT; echo "exit $?" && tranche status raw_prices && tranche query "SELECT count(*) AS msft_rows FROM raw_prices WHERE symbol = 'MSFT'" && python3 generate.py >/dev/null && tranche materialize raw_prices --failed && tranche status raw_prices | head -3
failed raw_prices MSFT: GET file:sample/MSFT.csv with an error: Information: We have detected your API key as demo and our standard API rate limit is 25 requests per day.
run 2 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 2; then retry: tranche materialize 'raw_prices' --failed
exit 1
raw_prices: 3 dynamic partitions
  materialized       2  IBM...AAPL
  failed             1  MSFT
  in progress        0
  missing            0
 msft_rows
-----------
       260
(1 row)
run 3 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
raw_prices: 3 dynamic partitions
  materialized       3  IBM...MSFT
  failed             0

# a failed day: the answer for MSFT has no close on 2025-12-31. The day loads, its blocking check
# fails, and the day's moving average is skipped; tranche checks exits 1. Fixed at the source
# (generate.py writes the good sample again), the refresh and the day run again: all pass
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2026-01-01T06:00:00-05:00 && tranche partitions add symbols IBM AAPL MSFT >/dev/null && tranche materialize '*' --all >/dev/null && sed -i '2s/^\(2025-12-31,[^,]*,[^,]*,[^,]*\),[^,]*,/\1,,/' sample/MSFT.csv && head -2 sample/MSFT.csv && tranche materialize raw_prices --partition MSFT && tranche materialize daily_prices,moving_average_20d --partition '2025-12-31|MSFT'; echo "exit $?"; tranche checks | grep -v passed; echo "exit $?"; python3 generate.py >/dev/null && tranche materialize raw_prices --partition MSFT && tranche materialize daily_prices,moving_average_20d --partition '2025-12-31|MSFT' && tranche materialize latest_close && tranche checks >/dev/null && echo "checks pass" && tranche query @verify.sql
timestamp,open,high,low,close,volume
2025-12-31,252.9300,253.0600,250.4800,,14912689
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
skipped moving_average_20d 2025-12-31|MSFT: upstream daily_prices failed a blocking check
run 3 (backfill 2) failed: 2 steps, 1 succeeded, 0 failed, 1 skipped
1 check did not pass: tranche checks
see why: tranche logs 3; then retry: tranche backfill resume 2
exit 1
ASSET         CHECK                        PARTITION        RESULT  SEVERITY  DETAILS
daily_prices  prices_present_and_positive  2025-12-31|MSFT  FAILED  error     1 failing row
exit 0
run 4 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
run 5 (backfill 3) succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
run 6 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
checks pass
 asset              | expected_rows | mismatches
--------------------+---------------+------------
 daily_prices       |           780 |          0
 weekly_summary     |           153 |          0
 moving_average_20d |           780 |          0
 latest_close       |             3 |          0
(4 rows)

# a symbol without data (no sample file; with the API, an "Error Message"): its raw partition
# fails and everything downstream of it is skipped, the other symbols load
$ tranche init st --example stocks >/dev/null && cd st && export TRANCHE_NOW=2026-01-01T06:00:00-05:00 && tranche partitions add symbols IBM NOPE >/dev/null && tranche materialize '*' --all; echo "exit $?"; tranche status raw_prices && tranche status daily_prices
failed raw_prices NOPE: GET file:sample/NOPE.csv: cannot read sample/NOPE.csv: No such file or directory
skipped daily_prices 2025-01-02|NOPE...2025-12-31|NOPE: upstream raw_prices failed
skipped weekly_summary 2025-01-06|NOPE...2025-12-22|NOPE: upstream daily_prices was skipped
skipped moving_average_20d 2025-01-02|NOPE...2025-12-31|NOPE: upstream daily_prices was skipped
skipped latest_close: upstream moving_average_20d was skipped
run 1 (backfill 1) failed: 1145 partitions in 9 steps, 572 succeeded, 1 failed, 572 skipped
see why: tranche logs 1; then retry: tranche backfill resume 1
exit 1
raw_prices: 2 dynamic partitions
  materialized       1  IBM
  failed             1  NOPE
  in progress        0
  missing            0
daily_prices: 520 multi partitions
  materialized     260  2025-01-02|IBM, 2025-01-03|IBM, 2025-01-06|IBM, 2025-01-07|IBM, 2025-01-08|IBM, 2025-01-09|IBM, 2025-01-10|IBM, 2025-01-13|IBM, ... (260 ranges; --json lists all)
  failed             0
  in progress        0
  missing          260  2025-01-02|NOPE, 2025-01-03|NOPE, 2025-01-06|NOPE, 2025-01-07|NOPE, 2025-01-08|NOPE, 2025-01-09|NOPE, 2025-01-10|NOPE, 2025-01-13|NOPE, ... (260 ranges; --json lists all)

