# http assets: a URL fetched per partition, its CSV or JSON answer loaded into the slice.
# Refusals of the http keys name the file, line and column, the key path and what is valid.

# an unknown key under http, with the nearest valid one
$ printf 'name: p\nassets:\n  a:\n    http:\n      url: "https://example.com/a.csv"\n      timout: 5s\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:7: assets.a.http: unknown key "timout" (did you mean "timeout"? valid keys: url, fallback_url, headers, format, records, timeout, retries, fail_when)
[exit 2]

# an unsupported scheme
$ printf 'name: p\nassets:\n  a:\n    http: {url: "ftp://example.com/a.csv"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:17: assets.a.http.url: "ftp://example.com/a.csv": the scheme ftp: is not supported (valid: http://, https://, file:)
[exit 2]

# a URL without a scheme
$ printf 'name: p\nassets:\n  a:\n    http: {url: "example.com/a.csv"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:17: assets.a.http.url: "example.com/a.csv" is not a URL: it must start with http://, https:// or file: (file:data/x.csv is relative to the project directory)
[exit 2]

# an unknown placeholder, with the nearest valid one and the names this partitions definition binds
$ printf 'name: p\nassets:\n  a:\n    partitions: {type: daily, start: 2024-01-01}\n    partition_expr: day\n    http: {url: "https://example.com/prices?day={partiton_start:%%Y-%%m-%%d}"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:17: assets.a.http.url: "https://example.com/prices?day={partiton_start:%Y-%m-%d}": unknown placeholder {partiton_start:%Y-%m-%d} (did you mean {partition_start}? valid: {partition_key}, {partition_keys}, {partition_start}, {partition_end}, {env:NAME}; {{ and }} for literal braces)
[exit 2]

# multi partitions bind one key per dimension
$ printf 'name: p\nassets:\n  a:\n    partitions: {type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [IBM]}}}\n    partition_expr: {date: day, symbol: symbol}\n    http: {url: "https://example.com/{symbol}"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:17: assets.a.http.url: "https://example.com/{symbol}": unknown placeholder {symbol} (valid: {partition_key}, {partition_keys}, {partition_key_date}, {partition_keys_date}, {partition_start_date}, {partition_end_date}, {partition_key_symbol}, {partition_start}, {partition_end}, {env:NAME}; {{ and }} for literal braces)
[exit 2]

# an unpartitioned asset has no partition values
$ printf 'name: p\nassets:\n  a:\n    http: {url: "https://example.com/{partition_key}.csv"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:17: assets.a.http.url: "https://example.com/{partition_key}.csv": unknown placeholder {partition_key}: the asset is unpartitioned, so it has no partition values (valid: {env:NAME}; {{ and }} for literal braces)
[exit 2]

# a format on a value that is not a time
$ printf 'name: p\nassets:\n  a:\n    partitions: {type: static, keys: [IBM]}\n    partition_expr: symbol\n    http: {url: "https://example.com/{partition_key:%%Y}.csv"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:17: assets.a.http.url: "https://example.com/{partition_key:%Y}.csv": {partition_key:%Y}: only time values (partition_start, partition_end) take a format; partition_key is text
[exit 2]

# an unclosed brace
$ printf 'name: p\nassets:\n  a:\n    http: {url: "https://example.com/?q={env:KEY"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:17: assets.a.http.url: "https://example.com/?q={env:KEY": the { at character 24 is not closed (write {{ for a literal brace; placeholders: {env:NAME})
[exit 2]

# records is for JSON
$ printf 'name: p\nassets:\n  a:\n    http: {url: "https://example.com/a", records: data.items}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:42: assets.a.http.records: only with format: json (the path to the array of records in a JSON response); this request's format is csv
[exit 2]

# fallback_url needs an {env:} in url
$ printf 'name: p\nassets:\n  a:\n    http: {url: "https://example.com/a.csv", fallback_url: "file:a.csv"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:46: assets.a.http.fallback_url: is used only when an {env:NAME} of url is unset or empty, and url has none (e.g. url: "https://example.com/x.csv?key={env:API_KEY}")
[exit 2]

# a file URL with a host
$ printf 'name: p\nassets:\n  a:\n    http: {url: "file://server/a.csv"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:4:17: assets.a.http.url: "file://server/a.csv": file URLs name no host: write file:///ABSOLUTE/PATH or file:RELATIVE/PATH (relative to the project directory)
[exit 2]

# http and command at once
$ printf 'name: p\nassets:\n  a:\n    http: {url: "https://example.com/a.csv"}\n    command: echo\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:5:5: assets.a: http and command are both given; an asset is made by exactly one of sql, sql_file, script, script_file, command, http
[exit 2]

# a partitioned http asset needs partition_expr
$ printf 'name: p\nassets:\n  a:\n    partitions: {type: static, keys: [IBM]}\n    http: {url: "https://example.com/{partition_key}.csv"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:3:3: assets.a: partition_expr is required for a partitioned http asset: the column (or SQL expression) that holds the partition value, which tranche compares with each partition to replace only its rows, e.g. partition_expr: order_date
[exit 2]

# fail_when keys
$ printf 'name: p\nassets:\n  a:\n    http:\n      url: "https://example.com/a.csv"\n      fail_when: {json_key: [Note]}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:19: assets.a.http.fail_when: unknown key "json_key" (did you mean "json_keys"? valid keys: json_keys, contains)
[exit 2]

# a header name that is not one
$ printf 'name: p\nassets:\n  a:\n    http:\n      url: "https://example.com/a.csv"\n      headers: {"X Key": "{env:KEY}"}\n' > tranche.yaml && tranche assets
tranche: tranche.yaml:6:17: assets.a.http.headers: "X Key" is not a header name (letters, digits and !#$%&'*+-.^_`|~, e.g. Authorization)
[exit 2]

# listed as http; a downstream query depends on it, its own sql reads `response`, no asset
$ printf 'name: p\nassets:\n  prices:\n    partitions: {type: static, keys: [IBM, MSFT]}\n    partition_expr: symbol\n    http: {url: "https://example.com/q?symbol={partition_key}&apikey={env:AV_KEY}"}\n    sql: SELECT $partition_key AS symbol, * FROM response\n  response:\n    sql: SELECT 1 AS x\n  summary:\n    sql: SELECT symbol, count(*) FROM prices GROUP BY ALL\n' > tranche.yaml && tranche assets
ASSET     KIND  GROUP    PARTITIONS  DEPS    MATERIALIZED  FAILED  MISSING
prices    http  default  static (2)  -       0/2           0       2
response  sql   default  -           -       0/1           0       1
summary   sql   default  -           prices  0/1           0       1

# a dry run shows each step's URL, the key masked
$ printf 'name: p\nassets:\n  prices:\n    partitions: {type: static, keys: [IBM, MSFT]}\n    partition_expr: symbol\n    http: {url: "https://example.com/q?symbol={partition_key}&apikey={env:AV_KEY}"}\n' > tranche.yaml && AV_KEY=not-shown tranche materialize prices --all --dry-run --jobs 1
plan: 2 steps, 2 partitions of 1 asset (dry run: nothing is written)
prices IBM
  $partition_key                = 'IBM'
  $partition_keys               = ['IBM']
  slice: (symbol) = $partition_key
  GET https://example.com/q?symbol=IBM&apikey=***
prices MSFT
  $partition_key                = 'MSFT'
  $partition_keys               = ['MSFT']
  slice: (symbol) = $partition_key
  GET https://example.com/q?symbol=MSFT&apikey=***

# without the key, a step fails and says which variable is missing; with fallback_url it reads the file
$ mkdir sample && printf 'day,close\n2024-01-02,10.5\n2024-01-03,11.25\n' > sample/IBM.csv && printf 'name: p\nassets:\n  prices:\n    partitions: {type: static, keys: [IBM, MSFT]}\n    partition_expr: symbol\n    http: {url: "https://example.com/q?symbol={partition_key}&apikey={env:AV_KEY}"}\n    sql: SELECT $partition_key AS symbol, * FROM response\n' > tranche.yaml && tranche materialize prices --partition IBM; sed -i 's|{env:AV_KEY}"}|{env:AV_KEY}", fallback_url: "file:sample/{partition_key}.csv"}|' tranche.yaml && tranche materialize prices --partition IBM && tranche query 'SELECT * FROM prices' && tranche materialize prices --partition MSFT
failed prices IBM: http.url: the environment variable AV_KEY is not set (set it, or give http.fallback_url to use without it)
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'prices' --failed
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 symbol | day        | close
--------+------------+-------
 IBM    | 2024-01-02 |  10.5
 IBM    | 2024-01-03 | 11.25
(2 rows)
failed prices MSFT: GET file:sample/MSFT.csv: cannot read sample/MSFT.csv: No such file or directory
run 3 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 3; then retry: tranche materialize 'prices' --failed
[exit 1]

# an empty answer, a JSON answer without the records path, a JSON answer where CSV was asked for
$ printf '' > empty.csv && printf '{"meta": {"n": 0}, "data": {"rows": []}}' > wrapped.json && printf 'name: p\nassets:\n  empty:\n    http: {url: "file:empty.csv"}\n  wrapped:\n    http: {url: "file:wrapped.json", format: json, records: data.items}\n  not_csv:\n    http: {url: "file:wrapped.json"}\n' > tranche.yaml && tranche materialize empty; tranche materialize wrapped; tranche materialize not_csv
failed empty: GET file:empty.csv: the file is empty
run 1 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 1; then retry: tranche materialize 'empty' --failed
failed wrapped: GET file:wrapped.json: http.records: the response has no data.items (data has: rows)
run 2 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 2; then retry: tranche materialize 'wrapped' --failed
failed not_csv: GET file:wrapped.json: expected CSV but the response is JSON: {"meta": {"n": 0}, "data": {"rows": []}}
run 3 failed: 1 step, 0 succeeded, 1 failed, 0 skipped
see why: tranche logs 3; then retry: tranche materialize 'not_csv' --failed
[exit 1]

# JSON records: each object of the array is a row; nested objects are STRUCTs
$ printf '{"data": {"items": [{"day": "2024-01-02", "px": {"close": 1.5}}, {"day": "2024-01-03", "px": {"close": 2.5}}]}}' > prices.json && printf 'name: p\nassets:\n  prices:\n    http: {url: "file:prices.json", format: json, records: data.items}\n    sql: SELECT day::DATE AS day, px.close AS close FROM response\n' > tranche.yaml && tranche materialize prices && tranche query 'SELECT * FROM prices ORDER BY day'
run 1 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
 day        | close
------------+-------
 2024-01-02 |   1.5
 2024-01-03 |   2.5
(2 rows)

