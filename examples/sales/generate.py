#!/usr/bin/env python3
"""Writes the sales example's data: products.csv, sales_reps.csv, sales_data.csv.

The same bytes on every run, on every machine: the random numbers come from a
fixed-seed generator written out below (not Python's `random`, whose sequences
are not promised across versions), and nothing depends on today's date.

    python3 generate.py              # writes data/ next to this script
    python3 generate.py --out DIR    # writes DIR/ instead (tests compare the two)

Orders run from 2024-01-01 to 2025-12-31, 13 to 38 a day (more in November and
December, fewer at weekends). A few orders name a sales rep or a product that
the dimension files do not have, so that the project's missing_dimension_check
has something to find.
"""
import argparse
import datetime
import os

SEED = 20240101
FIRST_DAY = datetime.date(2024, 1, 1)
LAST_DAY = datetime.date(2025, 12, 31)
UNKNOWN_REPS = 8       # orders whose rep_id is not in sales_reps.csv
UNKNOWN_PRODUCTS = 7   # orders whose product_id is not in products.csv

# (name, price in cents), ten per category, in the tutorial's four categories.
PRODUCTS = {
    "Electronics": [
        ("Wireless Earbuds", 7999), ("Bluetooth Speaker", 4999), ("4K Monitor", 32900),
        ("Mechanical Keyboard", 11950), ("USB-C Hub", 3499),
        ("Noise-Cancelling Headphones", 24900), ("Smartwatch", 19999),
        ("Portable Charger", 2999), ("HD Webcam", 5990), ("10-inch Tablet", 28900),
    ],
    "Books": [
        ("Data Pipelines Explained", 3999), ("The SQL Cookbook", 4450),
        ("Mystery at Midnight", 1499), ("Gardening Through the Year", 2400),
        ("A Short History of Time Zones", 1875), ("Cooking for Two", 2295),
        ("The Orchard Road", 1649), ("Learning Statistics", 5400),
        ("Poems of the Sea", 1299), ("Field Guide to Birds", 2750),
    ],
    "Home and Garden": [
        ("Garden Hose 50 ft", 3299), ("Ceramic Planter Set", 2749), ("Cordless Drill", 8900),
        ("LED Desk Lamp", 3695), ("Cast Iron Skillet", 4200), ("Compost Bin", 6499),
        ("Throw Blanket", 2900), ("Pruning Shears", 1995), ("Bamboo Cutting Board", 2499),
        ("Outdoor String Lights", 3850),
    ],
    "Clothing": [
        ("Rain Jacket", 8999), ("Wool Socks 3-Pack", 1800), ("Denim Jeans", 5950),
        ("Running Shoes", 10999), ("Cotton T-Shirt", 1599), ("Knit Beanie", 2100),
        ("Leather Belt", 3495), ("Fleece Hoodie", 4800), ("Linen Shirt", 4499),
        ("Hiking Boots", 13900),
    ],
}

# (name, department, hire date); two reps join during the period and sell
# only from their hire date on.
REPS = [
    ("Alice Moreno", "Retail", "2016-03-14"),
    ("Bilal Rahman", "Retail", "2018-09-03"),
    ("Chen Wei", "Online", "2017-05-22"),
    ("Dana Whitfield", "Online", "2020-01-06"),
    ("Emeka Obi", "Wholesale", "2015-11-30"),
    ("Freya Lindqvist", "Wholesale", "2019-07-15"),
    ("Gabriel Souza", "Retail", "2021-04-12"),
    ("Hana Kobayashi", "Online", "2022-10-03"),
    ("Ivan Petrov", "Enterprise", "2014-02-17"),
    ("Julia Novak", "Enterprise", "2023-01-09"),
    ("Kofi Mensah", "Retail", "2024-06-03"),
    ("Laura Fischer", "Online", "2025-02-17"),
]

FIRST_NAMES = [
    "Ada", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jonas",
    "Kira", "Leo", "Maya", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara",
    "Umar", "Vera", "Will", "Xenia", "Yusuf", "Zoe",
]
LAST_NAMES = [
    "Adams", "Baker", "Costa", "Dubois", "Evans", "Fong", "Garcia", "Hansen", "Ibrahim",
    "Jensen", "Khan", "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Quint", "Rossi",
    "Schmidt", "Tanaka", "Ueda", "Vargas", "Weber", "Young",
]
CUSTOMERS = 240


class Rng:
    """splitmix64: tiny, well mixed, and the same sequence everywhere."""

    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def below(self, n):
        """An integer in [0, n); the modulo bias is far below anything visible here."""
        return self.next() % n

    def choice(self, seq):
        return seq[self.below(len(seq))]


def money(cents):
    return "%d.%02d" % (cents // 100, cents % 100)


def products():
    rows = []
    for category, items in PRODUCTS.items():
        for name, cents in items:
            rows.append(("P%03d" % (len(rows) + 1), name, category, cents))
    return rows


def reps():
    return [("R%02d" % (i + 1), name, dept, hired) for i, (name, dept, hired) in enumerate(REPS)]


def customers(rng):
    names = []
    while len(names) < CUSTOMERS:
        name = rng.choice(FIRST_NAMES) + " " + rng.choice(LAST_NAMES)
        if name not in names:
            names.append(name)
    return names


def orders(rng, product_rows, rep_rows, customer_names):
    # Popular products and customers come up more often: a skewed pick
    # (the smaller of two uniform draws) instead of a uniform one.
    def skewed(seq):
        return seq[min(rng.below(len(seq)), rng.below(len(seq)))]

    by_category = {}
    for p in product_rows:
        by_category.setdefault(p[2], []).append(p)
    categories = list(by_category)

    rows = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        n = 18 + rng.below(13)
        if day.weekday() >= 5:
            n -= 5
        if day.month in (11, 12):
            n += 6
        if day.year == 2025:
            n += 2
        working = [r for r in rep_rows if r[3] <= day.isoformat()]
        for _ in range(n):
            product = skewed(by_category[rng.choice(categories)])
            rep = rng.choice(working)
            quantity = 1 + rng.below(4) if rng.below(5) else 5 + rng.below(6)
            rows.append([
                str(10001 + len(rows)), day.isoformat(), product[0], rep[0],
                skewed(customer_names), str(quantity), money(quantity * product[3]),
            ])
        day += datetime.timedelta(days=1)

    # Orders that name a rep or a product the dimension files lack: a rep who
    # left before the files were exported, products from an old catalogue.
    # Their dollar_amount stays as the order system recorded it.
    picked = set()
    while len(picked) < UNKNOWN_REPS + UNKNOWN_PRODUCTS:
        picked.add(rng.below(len(rows)))
    for i, row in enumerate(sorted(picked)):
        if i % 2 == 0 and i // 2 < UNKNOWN_REPS:
            rows[row][3] = "R%02d" % (len(rep_rows) + 1)
        else:
            rows[row][2] = "P%03d" % (len(product_rows) + 51 + i)
    return rows


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="Write the sales example's CSV files.")
    parser.add_argument("--out", default=os.path.join(here, "data"),
                        help="directory to write to (default: data/ next to this script)")
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)

    rng = Rng(SEED)
    product_rows = products()
    rep_rows = reps()
    order_rows = orders(rng, product_rows, rep_rows, customers(rng))

    write_csv(os.path.join(out, "products.csv"), ["product_id", "product_name", "category", "price"],
              [(p[0], p[1], p[2], money(p[3])) for p in product_rows])
    write_csv(os.path.join(out, "sales_reps.csv"), ["rep_id", "rep_name", "department", "hire_date"],
              rep_rows)
    write_csv(os.path.join(out, "sales_data.csv"),
              ["order_id", "date", "product_id", "rep_id", "customer_name", "quantity",
               "dollar_amount"], order_rows)
    print("wrote %d products, %d sales reps, %d orders to %s"
          % (len(product_rows), len(rep_rows), len(order_rows), out))


if __name__ == "__main__":
    main()
