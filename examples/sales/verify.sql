-- verify.sql — checks the tables tranche wrote against the same figures
-- computed straight from the CSV files, without the assets' tables.
--
--   tranche materialize '*' --all
--   tranche query "$(cat verify.sql)"
--
-- One statement: `expected_*` recompute joined_data, monthly_sales_performance
-- and product_performance from data/*.csv; the final SELECT counts the rows
-- that differ (in one and not the other, duplicates included: EXCEPT ALL),
-- sums rounded to cents. Every asset partition through 2025-12 must be
-- materialized. Prints one row: differences = 0 when all agree.

WITH
    orders AS (SELECT * FROM read_csv('data/sales_data.csv', header = true)),
    reps AS (SELECT * FROM read_csv('data/sales_reps.csv', header = true)),
    catalogue AS (SELECT * FROM read_csv('data/products.csv', header = true)),

    expected_joined AS (
        SELECT o.date, o.dollar_amount, o.customer_name, o.quantity,
               r.rep_name, r.department, r.hire_date,
               p.product_name, p.category, p.price
        FROM orders AS o
        LEFT JOIN reps AS r USING (rep_id)
        LEFT JOIN catalogue AS p USING (product_id)
    ),
    -- one row per month, rep and product (NULL rep or product: unknown ones)
    expected_monthly AS (
        SELECT CAST(date_trunc('month', date) AS DATE) AS partition_date,
               rep_name, product_name,
               round(sum(dollar_amount), 2) AS total_dollar_amount
        FROM expected_joined
        GROUP BY ALL
    ),
    -- one row per product of the four categories (orders of unknown products
    -- have no category and belong to no partition)
    expected_products AS (
        SELECT category AS product_category, product_name,
               round(sum(dollar_amount), 2) AS total_dollar_amount,
               sum(quantity) AS total_units_sold
        FROM expected_joined
        WHERE category IN ('Electronics', 'Books', 'Home and Garden', 'Clothing')
        GROUP BY ALL
    ),

    actual_joined AS (
        SELECT date, dollar_amount, customer_name, quantity, rep_name, department,
               hire_date, product_name, category, price
        FROM joined_data
    ),
    actual_monthly AS (
        SELECT partition_date, rep_name, product_name,
               round(total_dollar_amount, 2) AS total_dollar_amount
        FROM monthly_sales_performance
    ),
    actual_products AS (
        SELECT product_category, product_name,
               round(total_dollar_amount, 2) AS total_dollar_amount, total_units_sold
        FROM product_performance
    )

SELECT count(*) AS differences
FROM (
    (SELECT 'joined_data' AS asset FROM (SELECT * FROM actual_joined EXCEPT ALL SELECT * FROM expected_joined))
    UNION ALL
    (SELECT 'joined_data' FROM (SELECT * FROM expected_joined EXCEPT ALL SELECT * FROM actual_joined))
    UNION ALL
    (SELECT 'monthly' FROM (SELECT * FROM actual_monthly EXCEPT ALL SELECT * FROM expected_monthly))
    UNION ALL
    (SELECT 'monthly' FROM (SELECT * FROM expected_monthly EXCEPT ALL SELECT * FROM actual_monthly))
    UNION ALL
    (SELECT 'product' FROM (SELECT * FROM actual_products EXCEPT ALL SELECT * FROM expected_products))
    UNION ALL
    (SELECT 'product' FROM (SELECT * FROM expected_products EXCEPT ALL SELECT * FROM actual_products))
);
