# Refused input: exit status 2 and one line naming the field and what is valid.

$ tranche partitions keys --def '{type: weekly, start: 2024-01-01, day_offset: 8}'
tranche: --def:1:47: day_offset: 8 is out of range (expected 0 (Sunday) to 6 (Saturday))
[exit 2]

$ tranche partitions keys --def '{type: monthly, start: 2024-01-01, day_offset: 0}'
tranche: --def:1:48: day_offset: 0 is out of range (expected a day of the month, 1..31)
[exit 2]

$ tranche partitions keys --def '{type: monthly, start: 2024-01-01, day_offset: 32}'
tranche: --def:1:48: day_offset: 32 is out of range (expected a day of the month, 1..31)
[exit 2]

$ tranche partitions keys --def '{type: cron, cron: "0 0 30 2 *", start: 2024-01-01}'
tranche: --def:1:20: cron "0 0 30 2 *" can never fire: no month in month field "2" has a day in day-of-month field "30"
[exit 2]

$ tranche partitions keys --def '{type: cron, cron: "0 25 * * *", start: 2024-01-01}'
tranche: --def:1:20: cron "0 25 * * *": hour field "25" is out of range 0-23
[exit 2]

$ tranche partitions keys --def '{type: cron, start: 2024-01-01}'
tranche: --def:1:1: cron: a cron schedule is required for type cron, e.g. "0 0 * * 1-5" (weekdays at midnight)
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01, timezone: Mars/Olympus}'
tranche: --def:1:44: timezone: unknown timezone "Mars/Olympus": expected an IANA name such as "UTC", "America/New_York" or "Europe/Berlin"
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-13-01}'
tranche: --def:1:22: start: "2024-13-01" is not a date in format %Y-%m-%d nor an ISO 8601 time such as 2024-01-31 or 2024-01-31T06:00 ("2024-13-01" does not match format "%Y-%m-%d": month 13 is not 1..12)
[exit 2]

$ tranche partitions keys --def '{type: daily}'
tranche: --def:1:1: start: required for daily partitions — the first partition starts at the first schedule time at or after it (e.g. start: 2024-01-01; if your table already holds data, use the first day it holds)
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-02-01, end: 2024-01-01}'
tranche: --def:1:39: end: "2024-01-01" is not after start "2024-02-01" (end is exclusive)
[exit 2]

$ tranche partitions keys --def '{type: daily, strat: 2024-01-01}'
tranche: --def:1:15: unknown key "strat" (did you mean "start"? valid keys: type, start, start_date, end, end_date, timezone, fmt, minute_offset, hour_offset, day_offset, cron, cron_schedule, end_offset)
[exit 2]

$ tranche partitions keys --def '{type: daly, start: 2024-01-01}'
tranche: --def:1:8: type: unknown partitions type "daly" (did you mean "daily"? valid: hourly, daily, weekly, monthly, cron, static, dynamic, multi)
[exit 2]

$ tranche partitions keys --def '{type: hourly, start: 2024-01-01-00:00, hour_offset: 3}'
tranche: --def:1:54: hour_offset: not valid for hourly partitions (only minute_offset is)
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01, minute_offset: 60}'
tranche: --def:1:49: minute_offset: 60 is out of range (expected 0..59)
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01, fmt: "%Y-%m-%d %Q"}'
tranche: --def:1:39: fmt: format "%Y-%m-%d %Q": unknown directive %Q; valid directives: %a %A %b %B %d %D %e %f %F %G %H %I %j %m %M %p %S %T %u %U %V %w %W %y %Y %z %Z %%
[exit 2]

$ tranche partitions keys --def '{type: cron, cron: "0 */6 * * *", start: 2024-01-01}'
tranche: --def:1:1: fmt: "%Y-%m-%d" does not show the hour, but the schedule "0 */6 * * *" starts several partitions a day, so their keys would collide (add %H, e.g. "%Y-%m-%d-%H:%M")
[exit 2]

$ tranche partitions keys --def '{type: static, keys: [a, b, a]}'
tranche: --def:1:29: keys[2]: duplicate key "a" (static keys must be unique)
[exit 2]

$ tranche partitions keys --def '{type: static, keys: [a, "b...c"]}'
tranche: --def:1:26: keys[1]: partition key "b...c" contains "...", which is reserved for key ranges
[exit 2]

$ tranche partitions keys --def '{type: multi, dimensions: {x: {type: static, keys: [a, "b|c"]}, y: {type: static, keys: [z]}}}'
tranche: --def:1:56: dimensions.x.keys[1]: partition key "b|c" contains '|', which cannot be used in a dimension of a multi-partitions definition (| joins dimension keys; , [ ] delimit key lists)
[exit 2]

$ tranche partitions keys --def '{type: multi, dimensions: {x: {type: static, keys: ["a,b"]}, y: {type: static, keys: [z]}}}'
tranche: --def:1:53: dimensions.x.keys[0]: partition key "a,b" contains ',', which cannot be used in a dimension of a multi-partitions definition (| joins dimension keys; , [ ] delimit key lists)
[exit 2]

$ tranche partitions keys --def '{type: multi, dimensions: {x: {type: daily, start: 2024-01-01}, y: {type: hourly, start: 2024-01-01-00:00}}}'
tranche: --def:1:68: dimensions.y: at most one dimension can be a time window (hourly, daily, weekly, monthly or cron)
[exit 2]

$ tranche partitions keys --def '{type: multi, dimensions: {x: {type: daily, start: 2024-01-01}}}'
tranche: --def:1:27: dimensions: a multi definition needs a map of two or more named dimensions, e.g. dimensions: {date: {type: daily, start: 2024-01-01}, symbol: {type: static, keys: [IBM, AAPL]}}
[exit 2]

$ tranche partitions keys --def '{type: dynamic}'
tranche: --def:1:1: name: a dynamic definition needs the name of its key set, e.g. name: symbols (keys are added with `tranche partitions add symbols IBM`)
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01'
tranche: --def:2:1: did not find expected ',' or '}' (while parsing a flow mapping at 1:1)
[exit 2]

$ tranche partitions keys --def '[daily]'
tranche: --def:1:1: a partitions definition is a map with a type, e.g. {type: daily, start: 2024-01-01}; got a list
[exit 2]

$ tranche partitions keys --def @missing.yaml
tranche: --def: cannot read "missing.yaml": No such file or directory
[exit 2]

$ tranche partitions keys
tranche: --def DEF is required, e.g. --def '{type: daily, start: 2024-01-01}'
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --now yesterday
tranche: --now: "yesterday" is not an ISO 8601 time such as 2024-05-21T00:00:00+00:00 ("yesterday" is not an ISO 8601 date or date-time (YYYY-MM-DD, then optionally T or a space and HH:MM[:SS[.ffffff]], then optionally Z or +HH:MM): expected a 4-digit year but found "yesterday")
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --nwo 2024-02-01
tranche: unknown option "--nwo"
usage: tranche partitions keys --def DEF [--now T] [--from KEY --to KEY] [--dynamic N=K,...] [--ranges] [--json]
(see --help for the options)
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 --from 2024-01-30 --to 2024-02-03
tranche: partition "2024-02-03" does not exist (yet, or it is past the end): partitions run from "2024-01-01" to "2024-01-31"
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 --from 2024-01-30 --to 2024-01-03
tranche: key range "2024-01-30"..."2024-01-03" is backwards: "2024-01-30" comes after "2024-01-03"
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 --from 2024-01-30
tranche: --from and --to go together (a range of keys, both inclusive)
[exit 2]

$ tranche partitions keys --def '{type: hourly, start: 2024-01-01-00:00}' --now 2024-02-01 --from 2024-01-30-00:30 --to 2024-01-30-03:00
tranche: partition key "2024-01-30-00:30" is not the start of a partition: it falls inside "2024-01-30-00:00" (partitions start on the schedule "0 * * * *")
[exit 2]

$ tranche partitions window --def '{type: daily, start: 2024-01-01}' 2024-1-5
tranche: partition key "2024-1-5" is not written as keys are: did you mean "2024-01-05"?
[exit 2]

$ tranche partitions window --def '{type: static, keys: [a]}' a
tranche: --def: static partitions have no time windows
[exit 2]

$ tranche partitions keys --def '{type: static, keys: [a]}' --dynamic 'symbols'
tranche: --dynamic: "symbols" is not NAME=KEY,KEY,... (e.g. --dynamic symbols=IBM,AAPL)
[exit 2]

$ tranche partitions keys --def '{type: multi, dimensions: {a: {type: static, keys: [x]}, b: {type: dynamic, name: s}}}' --dynamic 's=p|q'
tranche: --dynamic: partition key "p|q" contains '|', which cannot be used in a dimension of a multi-partitions definition (| joins dimension keys; , [ ] delimit key lists)
[exit 2]

$ tranche partitions add symbols 'a|b'
tranche: partition key "a|b" contains '|', which cannot be used in a dimension of a multi-partitions definition (| joins dimension keys; , [ ] delimit key lists)
[exit 2]

$ tranche partitions add symbols
tranche: partitions add needs a NAME and one or more KEYs, e.g. tranche partitions add symbols IBM AAPL
[exit 2]

$ tranche partitions upstream --upstream '{type: static, keys: [a]}' --downstream '{type: daily, start: 2024-01-01}' --mapping '{type: time_window}' --now 2024-01-03 2024-01-01
tranche: time_window mapping: needs time-window partitions on both sides, but the upstream side is static
[exit 2]

$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: daily, start: 2024-01-01}' --mapping '{type: time_window, start_offset: 1, end_offset: 0}' --now 2024-01-03 2024-01-01
tranche: --mapping:1:1: start_offset (1) must not be after end_offset (0)
[exit 2]

$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: daily, start: 2024-01-01}' --mapping '{type: window}' --now 2024-01-03 2024-01-01
tranche: --mapping:1:8: type: unknown mapping type "window" (valid: identity, time_window, all, last, specific, static, multi_to_single, multi)
[exit 2]

$ tranche partitions upstream --upstream '{type: multi, dimensions: {a: {type: static, keys: [x]}, b: {type: static, keys: [y]}}}' --downstream '{type: static, keys: [q]}' --now 2024-01-03 q
required but nonexistent: q

$ tranche partitions upstream --upstream '{type: multi, dimensions: {a: {type: static, keys: [x]}, b: {type: static, keys: [y]}}}' --downstream '{type: static, keys: [x]}' --mapping '{type: multi_to_single, dimension: c}' x
tranche: multi_to_single mapping: dimension "c" is not a dimension of the multi partitions (dimensions: a, b)
[exit 2]

$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: daily, start: 2024-01-01}' --now 2024-01-03 2024-01-09
tranche: --downstream: partition "2024-01-09" does not exist (yet, or it is past the end): partitions run from "2024-01-01" to "2024-01-02"
[exit 2]

$ tranche frobnicate
tranche: unknown command "frobnicate"

usage: tranche COMMAND [ARGS]

tranche is a partitioned-asset data orchestrator.

commands:
  init         create a project to start from
  assets       list the project's assets and how much of each is materialized
  materialize  write asset partitions into the warehouse
  backfill     run many partitions as a backfill; show, resume or cancel one
  backfills    list the newest backfills and their progress
  status       count an asset's partitions by state, with their key ranges
  runs         list the newest runs
  logs         print a run's event log
  checks       show the latest result of every asset check
  query        run SQL against the warehouse
  wipe         delete an asset's partitions (or table) and forget their status
  adopt        record the partitions a table already holds as materialized
  explain      what an asset is, its partitions, what a run of one partition does
  partitions   list partition keys, windows and mappings of a definition
  serve        serve the web UI and the JSON API of the project
  dev          the same as serve
  version      print the version

'tranche COMMAND --help' tells more about a command.
[exit 2]

$ tranche partitions frobnicate
tranche: unknown subcommand "partitions frobnicate"

usage: tranche partitions SUBCOMMAND [OPTIONS]

subcommands:
  keys        List the partition keys that exist at a moment, in order.
  window      Print each key's time window [start, end) as ISO 8601 with the zone's offset.
  has         Say whether KEY is a partition that exists at the moment (exit 0 if so, 1 if not).
  upstream    The upstream partitions that the downstream partitions KEY... read through the mapping.
  downstream  The downstream partitions that read the upstream partitions KEY... through the mapping.
  explain     Explain a definition in words: first and last partition and why, alignment, count, DST.
  add         Add keys to the dynamic partitions NAME (idempotent).
  delete      Delete keys from the dynamic partitions NAME (idempotent).
  list        List the keys of the dynamic partitions NAME, or the names of all dynamic partitions.

DEF and MAP are YAML or JSON with the project file's keys, or @FILE.
'tranche partitions SUBCOMMAND --help' lists the options.
[exit 2]

# a setting given under both of its names
$ tranche partitions keys --def '{type: daily, start: 2024-05-20, start_date: 2024-05-01}'
tranche: --def:1:46: start_date: the same setting as start; give one of them
[exit 2]

# an option the subcommand does not take is refused, not ignored
$ tranche partitions explain --def '{type: daily, start: 2024-01-01}' --json
tranche: unknown option "--json"
usage: tranche partitions explain --def DEF [--now T]
(see --help for the options)
[exit 2]

$ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --upstream x
tranche: unknown option "--upstream"
usage: tranche partitions keys --def DEF [--now T] [--from KEY --to KEY] [--dynamic N=K,...] [--ranges] [--json]
(see --help for the options)
[exit 2]

# a skipped hour has no partition, and says why
$ tranche partitions window --def '{type: hourly, start: 2024-03-10-00:00, timezone: US/Pacific}' 2024-03-10-02:00
tranche: partition key "2024-03-10-02:00" names a time that does not exist in US/Pacific: the clocks jump from 2024-03-10T02:00:00-08:00 to 2024-03-10T03:00:00-07:00
[exit 2]

# time_window mappings need one timezone on both sides (as in Dagster)
$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: daily, start: 2024-01-01, timezone: US/Pacific}' --now 2024-01-10 2024-01-05
tranche: time_window mapping: the timezones differ (upstream UTC, downstream US/Pacific); as in Dagster, both sides must use the same timezone
[exit 2]

# an unquoted cron starting with * is YAML alias syntax
$ tranche partitions keys --def '{type: cron, cron: */15 * * * *, start: 2024-01-01}'
tranche: --def:1:21: did not find expected alphabetic or numeric character (while scanning an alias at 1:20); quote values that start with * or &, e.g. cron: "*/15 * * * *"
[exit 2]

$ tranche version --help
usage: tranche version

Print the version of tranche.

$ tranche version extra
tranche: version takes no arguments (got "extra")
[exit 2]

