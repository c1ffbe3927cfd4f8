-- verify.sql — checks the tables tranche wrote against the same figures computed
-- straight from the sample files (sample/*.csv), without the assets' tables.
--
--   export TRANCHE_NOW=2026-01-01T06:00:00-05:00
--   tranche partitions add symbols IBM AAPL MSFT
--   tranche materialize '*' --all
--   tranche query @verify.sql
--
-- One statement, one row per asset: how many rows it should hold, and how many
-- rows differ (in the table and not in the expected rows, or the other way
-- round; duplicates count: EXCEPT ALL). mismatches = 0 on every row when all agree.
--
-- It expects the three sample symbols and every partition that exists on
-- 1 January 2026 in New York materialized: the trading days 2025-01-02 to
-- 2025-12-31, and the weeks from 2025-01-06 that are over (the week of
-- 2025-12-29 is not, before Monday 2026-01-05).

WITH
    sample AS (
        SELECT parse_filename(filename, true) AS symbol,
               "timestamp"::DATE AS day,
               open::DECIMAL(18, 4) AS open, high::DECIMAL(18, 4) AS high,
               low::DECIMAL(18, 4) AS low, close::DECIMAL(18, 4) AS close,
               volume::BIGINT AS volume
        FROM read_csv('sample/*.csv', filename = true)
    ),

    expected_daily AS (SELECT day, symbol, open, high, low, close, volume FROM sample),
    actual_daily AS (SELECT day, symbol, open, high, low, close, volume FROM daily_prices),

    -- weeks from Monday; only those over by 2026-01-01
    expected_weekly AS (
        SELECT * FROM (
            SELECT date_trunc('week', day)::DATE AS week, symbol,
                   arg_min(open, day) AS open, max(high) AS high, min(low) AS low,
                   arg_max(close, day) AS close, sum(volume) AS volume
            FROM sample
            GROUP BY 1, 2
        )
        WHERE week >= DATE '2025-01-06' AND week + INTERVAL 7 DAY <= DATE '2026-01-01'
    ),
    actual_weekly AS (
        SELECT week, symbol, open, high, low, close, volume FROM weekly_summary
    ),

    -- the mean of the last 20 closes (rows: the sample has a row every trading
    -- day), NULL for the first 19 days; compared to 4 decimals
    expected_ma AS (
        SELECT day, symbol, close,
               CASE WHEN count(*) OVER w = 20 THEN round(avg(close) OVER w, 4) END AS avg_close_20d
        FROM sample
        WINDOW w AS (PARTITION BY symbol ORDER BY day ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)
    ),
    actual_ma AS (
        SELECT day, symbol, close, round(avg_close_20d, 4) FROM moving_average_20d
    ),

    -- each symbol's newest day, its close and the close of the day before
    expected_latest AS (
        SELECT symbol, day, close, close - lag(close) OVER (PARTITION BY symbol ORDER BY day) AS change
        FROM sample
        QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY day DESC) = 1
    ),
    actual_latest AS (SELECT symbol, day, close, change FROM latest_close),

    diffs AS (
        SELECT 1 AS n, 'daily_prices' AS asset, (SELECT count(*) FROM expected_daily) AS expected_rows,
               (SELECT count(*) FROM (FROM expected_daily EXCEPT ALL FROM actual_daily))
             + (SELECT count(*) FROM (FROM actual_daily EXCEPT ALL FROM expected_daily)) AS mismatches
        UNION ALL
        SELECT 2, 'weekly_summary', (SELECT count(*) FROM expected_weekly),
               (SELECT count(*) FROM (FROM expected_weekly EXCEPT ALL FROM actual_weekly))
             + (SELECT count(*) FROM (FROM actual_weekly EXCEPT ALL FROM expected_weekly))
        UNION ALL
        SELECT 3, 'moving_average_20d', (SELECT count(*) FROM expected_ma),
               (SELECT count(*) FROM (FROM expected_ma EXCEPT ALL FROM actual_ma))
             + (SELECT count(*) FROM (FROM actual_ma EXCEPT ALL FROM expected_ma))
        UNION ALL
        SELECT 4, 'latest_close', (SELECT count(*) FROM expected_latest),
               (SELECT count(*) FROM (FROM expected_latest EXCEPT ALL FROM actual_latest))
             + (SELECT count(*) FROM (FROM actual_latest EXCEPT ALL FROM expected_latest))
    )
SELECT asset, expected_rows, mismatches FROM diffs ORDER BY n
