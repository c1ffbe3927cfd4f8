# Partition mappings, both directions. Defaults as Dagster infers them.

# time vs time (default time_window): a weekly partition reads every day it overlaps
$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: weekly, start: 2024-01-07}' --now 2024-02-01 2024-01-14 --json
{"keys":["2024-01-14","2024-01-15","2024-01-16","2024-01-17","2024-01-18","2024-01-19","2024-01-20"],"required_but_nonexistent":[]}

$ tranche partitions downstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: weekly, start: 2024-01-07}' --now 2024-02-01 2024-01-14 2024-01-20 2024-01-01
2024-01-14

# daily over hourly and back
$ tranche partitions upstream --upstream '{type: hourly, start: 2024-01-01-00:00}' --downstream '{type: daily, start: 2024-01-01}' --now 2024-01-03 2024-01-02 --json
{"keys":["2024-01-02-00:00","2024-01-02-01:00","2024-01-02-02:00","2024-01-02-03:00","2024-01-02-04:00","2024-01-02-05:00","2024-01-02-06:00","2024-01-02-07:00","2024-01-02-08:00","2024-01-02-09:00","2024-01-02-10:00","2024-01-02-11:00","2024-01-02-12:00","2024-01-02-13:00","2024-01-02-14:00","2024-01-02-15:00","2024-01-02-16:00","2024-01-02-17:00","2024-01-02-18:00","2024-01-02-19:00","2024-01-02-20:00","2024-01-02-21:00","2024-01-02-22:00","2024-01-02-23:00"],"required_but_nonexistent":[]}

$ tranche partitions downstream --upstream '{type: hourly, start: 2024-01-01-00:00}' --downstream '{type: daily, start: 2024-01-01}' --now 2024-01-03 2024-01-01-23:00
2024-01-01

# monthly over daily
$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: monthly, start: 2024-01-01}' --now 2024-04-01 2024-02-01 --json
{"keys":["2024-02-01","2024-02-02","2024-02-03","2024-02-04","2024-02-05","2024-02-06","2024-02-07","2024-02-08","2024-02-09","2024-02-10","2024-02-11","2024-02-12","2024-02-13","2024-02-14","2024-02-15","2024-02-16","2024-02-17","2024-02-18","2024-02-19","2024-02-20","2024-02-21","2024-02-22","2024-02-23","2024-02-24","2024-02-25","2024-02-26","2024-02-27","2024-02-28","2024-02-29"],"required_but_nonexistent":[]}

# a 7-day rolling window; needed upstream days before start are reported
$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: daily, start: 2024-01-01}' --mapping '{type: time_window, start_offset: -6}' --now 2024-02-01 2024-01-03
2024-01-01
2024-01-02
2024-01-03

$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: daily, start: 2024-01-01}' --mapping '{type: time_window, start_offset: -6, allow_nonexistent_upstream_partitions: true}' --now 2024-02-01 2024-01-03 --json
{"keys":["2024-01-01","2024-01-02","2024-01-03"],"required_but_nonexistent":[]}

$ tranche partitions downstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: daily, start: 2024-01-01}' --mapping '{type: time_window, start_offset: -6}' --now 2024-02-01 2024-01-10 --json
{"keys":["2024-01-10","2024-01-11","2024-01-12","2024-01-13","2024-01-14","2024-01-15","2024-01-16"],"required_but_nonexistent":[]}

# the previous day (start_offset = end_offset = -1)
$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: daily, start: 2024-01-01}' --mapping '{type: time_window, start_offset: -1, end_offset: -1}' --now 2024-02-01 2024-01-05 2024-01-01
2024-01-04

# upstream partitions that do not exist yet
$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: monthly, start: 2024-01-01, end_offset: 1}' --now 2024-01-03T12:00Z 2024-01-01 --json
{"keys":["2024-01-01","2024-01-02"],"required_but_nonexistent":["2024-01-03","2024-01-04","2024-01-05","2024-01-06","2024-01-07","2024-01-08","2024-01-09","2024-01-10","2024-01-11","2024-01-12","2024-01-13","2024-01-14","2024-01-15","2024-01-16","2024-01-17","2024-01-18","2024-01-19","2024-01-20","2024-01-21","2024-01-22","2024-01-23","2024-01-24","2024-01-25","2024-01-26","2024-01-27","2024-01-28","2024-01-29","2024-01-30","2024-01-31"]}

# identity (default for static vs static)
$ tranche partitions upstream --upstream '{type: static, keys: [a, b, c]}' --downstream '{type: static, keys: [b, c, d]}' b d
b
required but nonexistent: d

$ tranche partitions downstream --upstream '{type: static, keys: [a, b, c]}' --downstream '{type: static, keys: [b, c, d]}' a b c --json
{"keys":["b","c"],"required_but_nonexistent":[]}

# all, last, specific
$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: static, keys: [x]}' --mapping all --now 2024-01-04 x
2024-01-01
2024-01-02
2024-01-03

$ tranche partitions downstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: static, keys: [x, y]}' --mapping all --now 2024-01-04 2024-01-02
x
y

$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: static, keys: [x]}' --mapping '{type: last}' --now 2024-01-04 x
2024-01-03

$ tranche partitions downstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: static, keys: [x, y]}' --mapping '{type: last}' --now 2024-01-04 2024-01-03
x
y

$ tranche partitions downstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: static, keys: [x, y]}' --mapping '{type: last}' --now 2024-01-04 2024-01-02


$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: static, keys: [x]}' --mapping '{type: specific, keys: [2024-01-02, 2025-01-01]}' --now 2024-01-04 x --json
{"keys":["2024-01-02"],"required_but_nonexistent":["2025-01-01"]}

$ tranche partitions downstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: static, keys: [x]}' --mapping '{type: specific, keys: [2024-01-02]}' --now 2024-01-04 2024-01-02
x

# static: upstream key -> downstream key or list of keys
$ tranche partitions upstream --upstream '{type: static, keys: [Books, Music, Toys]}' --downstream '{type: static, keys: [media, fun]}' --mapping '{type: static, map: {Books: media, Music: media, Toys: fun, Games: fun}}' media fun
Books
Music
Toys
required but nonexistent: Games

$ tranche partitions downstream --upstream '{type: static, keys: [Books, Music, Toys]}' --downstream '{type: static, keys: [media, fun]}' --mapping '{type: static, map: {Books: media, Music: [media, fun]}}' Music Toys
media
fun

# multi_to_single: dimension inferred when omitted, both directions and both ways round
$ tranche partitions upstream --upstream '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [AAPL, IBM]}}}' --downstream '{type: daily, start: 2024-01-01}' --now 2024-01-04 2024-01-02
2024-01-02|AAPL
2024-01-02|IBM

$ tranche partitions downstream --upstream '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [AAPL, IBM]}}}' --downstream '{type: daily, start: 2024-01-01}' --now 2024-01-04 '2024-01-02|IBM'
2024-01-02

$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [AAPL, IBM]}}}' --now 2024-01-04 '2024-01-02|IBM' '2024-01-03|IBM'
2024-01-02
2024-01-03

$ tranche partitions downstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [AAPL, IBM]}}}' --now 2024-01-04 2024-01-02 --json
{"keys":["2024-01-02|AAPL","2024-01-02|IBM"],"required_but_nonexistent":[]}

$ tranche partitions upstream --upstream '{type: static, keys: [AAPL, IBM]}' --downstream '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [AAPL, IBM]}}}' --mapping '{type: multi_to_single, dimension: symbol}' --now 2024-01-04 '2024-01-02|IBM'
IBM

# multi: per-dimension mappings; an unmapped dimension reads all of its partitions
$ tranche partitions upstream --upstream '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [AAPL, IBM]}}}' --downstream '{type: multi, dimensions: {day: {type: daily, start: 2024-01-01}, sym: {type: static, keys: [AAPL, IBM]}}}' --mapping '{type: multi, dimensions: {date: {dimension: day, mapping: {type: time_window, start_offset: -1}}, symbol: {dimension: sym}}}' --now 2024-01-04 '2024-01-03|IBM'
2024-01-02|IBM
2024-01-03|IBM

$ tranche partitions downstream --upstream '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [AAPL, IBM]}}}' --downstream '{type: multi, dimensions: {day: {type: daily, start: 2024-01-01}, sym: {type: static, keys: [AAPL, IBM]}}}' --mapping '{type: multi, dimensions: {date: {dimension: day, mapping: {type: time_window, start_offset: -1}}, symbol: {dimension: sym}}}' --now 2024-01-04 '2024-01-02|IBM'
2024-01-02|IBM
2024-01-03|IBM

$ tranche partitions upstream --upstream '{type: multi, dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [AAPL, IBM]}}}' --downstream '{type: multi, dimensions: {day: {type: daily, start: 2024-01-01}, sym: {type: static, keys: [AAPL, IBM]}}}' --mapping '{type: multi, dimensions: {date: {dimension: day}}}' --now 2024-01-04 '2024-01-03|IBM'
2024-01-03|AAPL
2024-01-03|IBM

# offsets never reach past the upstream's range (a rolling window on the first days
# reads what exists), but a window needed without the offset is reported
$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-05}' --downstream '{type: daily, start: 2024-01-01}' --mapping '{type: time_window, start_offset: -1}' --now 2024-02-01 2024-01-03 2024-01-06
2024-01-05
2024-01-06
required but nonexistent: 2024-01-03

# single vs multi with no matching dimension: identity (as Dagster infers)
$ tranche partitions upstream --upstream '{type: multi, dimensions: {a: {type: static, keys: [x]}, b: {type: static, keys: [y]}}}' --downstream '{type: static, keys: [q, "x|y"]}' --now 2024-01-03 'x|y'
x|y

