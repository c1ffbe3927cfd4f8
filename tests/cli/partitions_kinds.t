# Static, multi and dynamic partitions.

$ tranche partitions keys --def '{type: static, keys: [Books, Electronics, Toys]}'
Books
Electronics
Toys

$ tranche partitions keys --def '{type: static, partition_keys: [b, a]}' --json
{"keys":["b","a"]}

$ tranche partitions has --def '{type: static, keys: [Books, Toys]}' Toys
true

# multi: dimensions sorted by name, keys joined with |, first dimension most significant
$ tranche partitions keys --def '{type: multi, dimensions: {symbol: {type: static, keys: [IBM, AAPL]}, date: {type: daily, start: 2024-01-01}}}' --now 2024-01-03
2024-01-01|IBM
2024-01-01|AAPL
2024-01-02|IBM
2024-01-02|AAPL

# three dimensions (Dagster stops at two)
$ tranche partitions keys --def '{type: multi, dimensions: {region: {type: static, keys: [eu, us]}, category: {type: static, keys: [books, toys]}, month: {type: monthly, start: 2024-01-01}}}' --now 2024-03-01
books|2024-01-01|eu
books|2024-01-01|us
books|2024-02-01|eu
books|2024-02-01|us
toys|2024-01-01|eu
toys|2024-01-01|us
toys|2024-02-01|eu
toys|2024-02-01|us

$ tranche partitions window --def '{type: multi, dimensions: {symbol: {type: static, keys: [IBM]}, date: {type: daily, start: 2024-01-01, timezone: America/New_York}}}' '2024-01-02|IBM'
2024-01-02|IBM	2024-01-02T00:00:00-05:00	2024-01-03T00:00:00-05:00

$ tranche partitions has --def '{type: multi, dimensions: {a: {type: static, keys: [x]}, b: {type: static, keys: [y]}}}' 'x|y'
true

$ tranche partitions has --def '{type: multi, dimensions: {a: {type: static, keys: [x]}, b: {type: static, keys: [y]}}}' 'y|x'
false
[exit 1]

$ tranche partitions explain --def '{type: multi, dimensions: {symbol: {type: static, keys: [IBM, AAPL]}, date: {type: daily, start: 2024-01-01}}}' --now 2024-01-03
multi partitions over 2 dimensions (sorted by name); a key is one key per dimension joined with |, e.g. "2024-01-01|IBM"
count: 4 partitions (2 date x 2 symbol)

dimension 1, "date":
daily partitions on the schedule "0 0 * * *" in UTC, keys formatted "%Y-%m-%d"
start: "2024-01-01" = 2024-01-01T00:00:00+00:00, on the schedule, so the first partition starts there
now: 2024-01-03T00:00:00+00:00
first: "2024-01-01" = [2024-01-01T00:00:00+00:00, 2024-01-02T00:00:00+00:00)
last:  "2024-01-02" = [2024-01-02T00:00:00+00:00, 2024-01-03T00:00:00+00:00)
why:   only complete windows exist: "2024-01-03" is not complete until 2024-01-04T00:00:00+00:00, so the last partition is "2024-01-02"
count: 2 partitions
window: 1 day

dimension 2, "symbol":
static partitions: 2 keys, in the order listed
first: "IBM"
last:  "AAPL"

# dynamic: keys from --dynamic, or from the instance storage
$ tranche partitions keys --def '{type: dynamic, name: symbols}' --dynamic symbols=IBM,AAPL
IBM
AAPL

$ tranche partitions keys --def '{type: dynamic, name: symbols}'


$ tranche partitions add symbols IBM AAPL && tranche partitions add symbols AAPL MSFT && tranche partitions list symbols
added 2 keys to dynamic partitions "symbols" (0 already there)
added 1 key to dynamic partitions "symbols" (1 already there)
IBM
AAPL
MSFT

$ tranche partitions add symbols IBM MSFT && tranche partitions delete symbols IBM GOOG && tranche partitions keys --def '{type: dynamic, name: symbols}' --json && tranche partitions list
added 2 keys to dynamic partitions "symbols" (0 already there)
deleted 1 key from dynamic partitions "symbols" (1 already absent)
{"keys":["MSFT"]}
symbols

$ tranche partitions add -C proj s1 a && tranche partitions list -C proj s1 && ls -a proj/.tranche | grep -c instance.db
added 1 key to dynamic partitions "s1" (0 already there)
a
1

$ tranche partitions keys --def '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: dynamic, name: symbols}}}' --dynamic symbols=IBM,AAPL --now 2024-01-03
2024-01-01|IBM
2024-01-01|AAPL
2024-01-02|IBM
2024-01-02|AAPL

# listing creates no instance storage
$ tranche partitions list && tranche partitions list symbols --json && ls -a
{"keys":[]}
.
..

