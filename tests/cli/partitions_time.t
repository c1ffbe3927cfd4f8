# tranche partitions: time-window definitions (golden outputs checked by hand
# against Dagster's rules; see docs/partitions.md)

# only complete windows exist
$ tranche partitions keys --def '{type: daily, start: 2024-05-15}' --now 2024-05-20T14:00:00Z
2024-05-15
2024-05-16
2024-05-17
2024-05-18
2024-05-19

$ tranche partitions keys --def '{type: daily, start: 2024-05-15}' --now 2024-05-20T00:00:00Z --json
{"keys":["2024-05-15","2024-05-16","2024-05-17","2024-05-18","2024-05-19"]}

$ tranche partitions keys --def '{type: daily, start: 2024-05-15}' --now 2024-05-15T23:59:59Z


# TRANCHE_NOW, and --now overriding it
$ TRANCHE_NOW=2024-05-18T00:00:00Z tranche partitions keys --def '{type: daily, start: 2024-05-15}'
2024-05-15
2024-05-16
2024-05-17

$ TRANCHE_NOW=2024-05-18T00:00:00Z tranche partitions keys --def '{type: daily, start: 2024-05-15}' --now 2024-05-17T00:00:00+00:00
2024-05-15
2024-05-16

# --now with an offset
$ tranche partitions keys --def '{type: daily, start: 2024-05-15}' --now 2024-05-17T01:00:00+02:00
2024-05-15

# start not on the schedule: the first window starts at the next schedule time
$ tranche partitions keys --def '{type: daily, start: "2024-05-15T06:00", hour_offset: 3}' --now 2024-05-19T00:00:00Z
2024-05-16
2024-05-17

$ tranche partitions keys --def '{type: hourly, start: "2024-01-01T10:20:00", minute_offset: 15}' --now 2024-01-01T14:00:00Z
2024-01-01-11:15
2024-01-01-12:15

# end_offset: positive adds windows (the in-progress one first), negative drops
$ tranche partitions keys --def '{type: daily, start: 2024-05-15, end_offset: 1}' --now 2024-05-17T14:00:00Z
2024-05-15
2024-05-16
2024-05-17

$ tranche partitions keys --def '{type: daily, start: 2024-05-15, end_offset: 2}' --now 2024-05-17T00:00:00Z
2024-05-15
2024-05-16
2024-05-17
2024-05-18

$ tranche partitions keys --def '{type: daily, start: 2024-05-15, end_offset: -1}' --now 2024-05-18T14:00:00Z
2024-05-15
2024-05-16

$ tranche partitions keys --def '{type: daily, start: 2024-05-15, end_offset: -3}' --now 2024-05-18T14:00:00Z


$ tranche partitions keys --def '{type: daily, start: 2024-05-15, end_offset: 1}' --now 2024-05-14T12:00:00Z
2024-05-15

# end is exclusive and caps everything, end_offset included
$ tranche partitions keys --def '{type: daily, start: 2024-05-15, end: 2024-05-18}' --now 2024-06-18T14:00:00Z
2024-05-15
2024-05-16
2024-05-17

$ tranche partitions keys --def '{type: daily, start: 2024-05-15, end: 2024-05-18, end_offset: 5}' --now 2024-05-16T14:00:00Z
2024-05-15
2024-05-16
2024-05-17

# weekly: day_offset 0 = Sunday; hour and minute offsets
$ tranche partitions keys --def '{type: weekly, start: 2024-01-01}' --now 2024-02-01
2024-01-07
2024-01-14
2024-01-21

$ tranche partitions keys --def '{type: weekly, start: 2024-01-01, day_offset: 3, hour_offset: 6}' --now 2024-02-01
2024-01-03
2024-01-10
2024-01-17
2024-01-24

$ tranche partitions window --def '{type: weekly, start: 2024-01-01, day_offset: 1}' 2024-01-08
2024-01-08	2024-01-08T00:00:00+00:00	2024-01-15T00:00:00+00:00

# monthly: day_offset is the day of the month; 29..31 skip months without it
$ tranche partitions keys --def '{type: monthly, start: 2024-01-01}' --now 2024-06-01
2024-01-01
2024-02-01
2024-03-01
2024-04-01
2024-05-01

$ tranche partitions keys --def '{type: monthly, start: 2024-01-01, day_offset: 15}' --now 2024-06-01
2024-01-15
2024-02-15
2024-03-15
2024-04-15

$ tranche partitions keys --def '{type: monthly, start: 2024-01-01, day_offset: 31}' --now 2024-12-31T12:00Z
2024-01-31
2024-03-31
2024-05-31
2024-07-31
2024-08-31
2024-10-31

# leap days
$ tranche partitions keys --def '{type: daily, start: 2024-02-27}' --now 2024-03-02
2024-02-27
2024-02-28
2024-02-29
2024-03-01

$ tranche partitions keys --def '{type: cron, cron: "0 0 29 2 *", start: 2019-01-01}' --now 2033-01-01
2020-02-29
2024-02-29
2028-02-29

$ tranche partitions keys --def '{type: monthly, start: 2023-12-01, day_offset: 29}' --now 2024-05-01
2023-12-29
2024-01-29
2024-02-29
2024-03-29

# custom fmt
$ tranche partitions keys --def '{type: daily, start: 2024-01-30, fmt: "%Y%m%d"}' --now 2024-02-02
20240130
20240131
20240201

$ tranche partitions keys --def '{type: monthly, start: 2024-01, fmt: "%Y-%m"}' --now 2024-04-15
2024-01
2024-02
2024-03

$ tranche partitions keys --def '{type: hourly, start: "2024-01-01 22h", fmt: "%Y-%m-%d %Hh"}' --now 2024-01-02T01:00Z
2024-01-01 22h
2024-01-01 23h
2024-01-02 00h

$ tranche partitions keys --def '{type: daily, start: 2024-03-09, fmt: "%Y-%m-%dT%H:%M%z", timezone: America/New_York}' --now 2024-03-12
2024-03-09T00:00-0500
2024-03-10T00:00-0500

# cron schedules: weekdays in New York, every 15 minutes
$ tranche partitions keys --def '{type: cron, cron: "0 0 * * 1-5", start: 2024-05-01, timezone: America/New_York}' --now 2024-05-10T14:00:00Z
2024-05-01
2024-05-02
2024-05-03
2024-05-06
2024-05-07
2024-05-08
2024-05-09

$ tranche partitions keys --def '{type: cron, cron: "*/15 * * * *", start: 2024-05-01-00:00, fmt: "%Y-%m-%d-%H:%M"}' --now 2024-05-01T01:10:00Z
2024-05-01-00:00
2024-05-01-00:15
2024-05-01-00:30
2024-05-01-00:45

$ tranche partitions keys --def '{type: cron, cron_schedule: "0 9,17 * * mon-fri", start: 2024-05-03, fmt: "%Y-%m-%d %H:%M"}' --now 2024-05-07T00:00Z
2024-05-03 09:00
2024-05-03 17:00
2024-05-06 09:00

# --from/--to (inclusive)
$ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 --from 2024-01-29 --to 2024-01-31
2024-01-29
2024-01-30
2024-01-31

# has: exact keys within the range only
$ tranche partitions has --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 2024-01-05
true

$ tranche partitions has --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 2024-01-5
false
[exit 1]

$ tranche partitions has --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 2024-02-01 --json
{"has":false}
[exit 1]

$ tranche partitions has --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 2023-12-31
false
[exit 1]

$ tranche partitions has --def '{type: hourly, start: 2024-01-01-00:00}' --now 2024-02-01 2024-01-05-00:30
false
[exit 1]

$ tranche partitions has --def '{type: daily, start: 2024-01-01}' --now 2024-02-01 banana
false
[exit 1]

# windows: any well-formed key, existing or not
$ tranche partitions window --def '{type: daily, start: 2024-01-01}' 2024-01-05 2030-06-01 --json
{"windows":{"2024-01-05":["2024-01-05T00:00:00+00:00","2024-01-06T00:00:00+00:00"],"2030-06-01":["2030-06-01T00:00:00+00:00","2030-06-02T00:00:00+00:00"]}}

$ tranche partitions window --def '{type: monthly, start: 2024-01-01}' 2024-02-01
2024-02-01	2024-02-01T00:00:00+00:00	2024-03-01T00:00:00+00:00

# Dagster's aliases: start_date, end_date
$ tranche partitions keys --def '{type: daily, start_date: 2024-01-01, end_date: 2024-01-03}' --now 2025-01-01
2024-01-01
2024-01-02

# explain
$ tranche partitions explain --def '{type: daily, start: 2024-05-15}' --now 2024-05-20T14:00:00Z
daily partitions on the schedule "0 0 * * *" in UTC, keys formatted "%Y-%m-%d"
start: "2024-05-15" = 2024-05-15T00:00:00+00:00, on the schedule, so the first partition starts there
now: 2024-05-20T14:00:00+00:00
first: "2024-05-15" = [2024-05-15T00:00:00+00:00, 2024-05-16T00:00:00+00:00)
last:  "2024-05-19" = [2024-05-19T00:00:00+00:00, 2024-05-20T00:00:00+00:00)
why:   only complete windows exist: "2024-05-20" is not complete until 2024-05-21T00:00:00+00:00, so the last partition is "2024-05-19"
count: 5 partitions
window: 1 day

$ tranche partitions explain --def '{type: daily, start: "2024-05-15T07:00", end_offset: 1}' --now 2024-05-20T14:00:00Z
daily partitions on the schedule "0 0 * * *" in UTC, keys formatted "%Y-%m-%d"
start: "2024-05-15T07:00" = 2024-05-15T07:00:00+00:00 is not on the schedule; the first partition starts at the next schedule time, 2024-05-16T00:00:00+00:00
now: 2024-05-20T14:00:00+00:00
first: "2024-05-16" = [2024-05-16T00:00:00+00:00, 2024-05-17T00:00:00+00:00)
last:  "2024-05-20" = [2024-05-20T00:00:00+00:00, 2024-05-21T00:00:00+00:00)
why:   end_offset 1: the last complete window is "2024-05-19"; adding 1 window gives "2024-05-20" (the in-progress window comes first)
count: 5 partitions
window: 1 day
end_offset: 1

$ tranche partitions explain --def '{type: daily, start: 2024-05-15}' --now 2024-05-15T14:00:00Z
daily partitions on the schedule "0 0 * * *" in UTC, keys formatted "%Y-%m-%d"
start: "2024-05-15" = 2024-05-15T00:00:00+00:00, on the schedule, so the first partition starts there
now: 2024-05-15T14:00:00+00:00
partitions: none yet — the first partition "2024-05-15" is not complete until 2024-05-16T00:00:00+00:00

$ tranche partitions explain --def '{type: daily, start: 2024-01-01, end: 2024-02-01}' --now 2024-05-15T14:00:00Z
daily partitions on the schedule "0 0 * * *" in UTC, keys formatted "%Y-%m-%d"
start: "2024-01-01" = 2024-01-01T00:00:00+00:00, on the schedule, so the first partition starts there
now: 2024-05-15T14:00:00+00:00
first: "2024-01-01" = [2024-01-01T00:00:00+00:00, 2024-01-02T00:00:00+00:00)
last:  "2024-01-31" = [2024-01-31T00:00:00+00:00, 2024-02-01T00:00:00+00:00)
why:   end "2024-02-01" is exclusive: the last window that ends by 2024-02-01T00:00:00+00:00 is the last partition
count: 31 partitions
window: 1 day

# definitions as files
$ printf 'type: monthly\nstart: 2024-01-01\n' > def.yaml && tranche partitions keys --def @def.yaml --now 2024-03-05
2024-01-01
2024-02-01

# key ranges, out and in (Dagster's FIRST...LAST notation)
$ tranche partitions keys --def '{type: hourly, start: 2024-01-01-00:00, timezone: US/Pacific}' --now 2024-12-01 --ranges
2024-01-01-00:00...2024-11-30-15:00

$ tranche partitions upstream --upstream '{type: daily, start: 2024-01-01}' --downstream '{type: monthly, start: 2024-01-01}' --now 2024-06-01 --ranges 2024-01-01...2024-02-01 2024-04-01
2024-01-01...2024-02-29
2024-04-01...2024-04-30

$ tranche partitions keys --def '{type: daily, start: 2024-01-01}' --now 2024-03-01 --ranges --json
tranche: --ranges and --json do not go together
[exit 2]

