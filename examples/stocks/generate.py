#!/usr/bin/env python3
"""Writes the stocks example's sample data: sample/IBM.csv, sample/AAPL.csv, sample/MSFT.csv.

Each file is what Alpha Vantage answers to
    function=TIME_SERIES_DAILY&symbol=IBM&datatype=csv
— the header `timestamp,open,high,low,close,volume`, then one line per trading
day, newest first — so that the project runs the same offline (on these files)
and online (on the API). The prices are made up: a random walk per symbol.

The same bytes on every run, on every machine: the random numbers come from a
fixed-seed generator written out below (not Python's `random`), prices are
whole cents computed with integer arithmetic, and nothing depends on today's
date.

    python3 generate.py              # writes sample/ next to this script
    python3 generate.py --out DIR    # writes DIR/ instead (tests compare the two)

Trading days: every weekday (Monday to Friday) from 2025-01-02 to 2025-12-31,
260 days. Market holidays are NOT skipped: the project's partitions are the
weekdays (the cron schedule "0 0 * * 1-5" knows nothing of holidays), and the
sample has exactly one row per partition and symbol. The real API has no row on
a holiday (2025-07-04, 2025-12-25, ...): with it, those partitions load 0 rows.
"""
import argparse
import datetime
import os

SEED = 20250102
FIRST_DAY = datetime.date(2025, 1, 2)
LAST_DAY = datetime.date(2025, 12, 31)

# symbol: (first open in cents, daily drift in basis points, daily volatility
# in basis points, typical volume)
SYMBOLS = {
    "IBM": (16350, 4, 120, 4_200_000),
    "AAPL": (24390, 2, 160, 52_000_000),
    "MSFT": (41880, 3, 140, 21_000_000),
}


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

    def normal_bp(self, sd):
        """About normal, mean 0, standard deviation sd (an integer): the sum of 12
        uniform draws in [-sd, sd) has variance 12 * sd^2 / 3 = 4 sd^2, so halve it."""
        return sum(self.below(2 * sd) - sd for _ in range(12)) // 2


def trading_days():
    day = FIRST_DAY
    while day <= LAST_DAY:
        if day.weekday() < 5:
            yield day
        day += datetime.timedelta(days=1)


def moved(cents, bp):
    """cents moved by bp basis points, rounded to a cent, at least 1 cent."""
    return max(1, (cents * (10000 + bp) + 5000) // 10000)


def series(rng, first_open, drift, vol, volume):
    """One row per trading day, oldest first: (day, open, high, low, close, volume)."""
    rows = []
    close = first_open
    for day in trading_days():
        # the open gaps a little from yesterday's close, the close moves from the open
        open_ = moved(close, rng.normal_bp(vol // 4))
        close = moved(open_, drift + rng.normal_bp(vol))
        high = moved(max(open_, close), rng.below(vol // 2 + 1))
        low = moved(min(open_, close), -rng.below(vol // 2 + 1))
        shares = volume * (5000 + rng.below(10001)) // 10000 + rng.below(1000)
        rows.append((day, open_, high, low, close, shares))
    return rows


def price(cents):
    # Alpha Vantage writes four decimals: 183.2400
    return "%d.%02d00" % (cents // 100, cents % 100)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="Write the stocks example's sample CSV files.")
    parser.add_argument("--out", default=os.path.join(here, "sample"),
                        help="directory to write to (default: sample/ next to this script)")
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)

    rng = Rng(SEED)
    for symbol, params in SYMBOLS.items():
        rows = series(rng, *params)
        with open(os.path.join(out, symbol + ".csv"), "w", encoding="utf-8", newline="") as f:
            f.write("timestamp,open,high,low,close,volume\n")
            for day, o, h, l, c, v in reversed(rows):  # newest first, as the API
                f.write("%s,%s,%s,%s,%s,%d\n" % (day.isoformat(), price(o), price(h),
                                                 price(l), price(c), v))
        print("%s: %d trading days, %s to %s" % (
            os.path.relpath(os.path.join(out, symbol + ".csv")), len(rows), rows[0][0], rows[-1][0]))


if __name__ == "__main__":
    main()
