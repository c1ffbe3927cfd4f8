# Timezones and daylight saving time.
# Hourly-style schedules: a skipped hour has no partition, a repeated hour has two
# (the second key carries its UTC offset).

# US/Pacific, spring forward 2024-03-10 02:00 -> 03:00
$ tranche partitions keys --def '{type: hourly, start: 2024-03-10-00:00, timezone: US/Pacific}' --now 2024-03-10T12:00:00Z
2024-03-10-00:00
2024-03-10-01:00
2024-03-10-03:00
2024-03-10-04:00

# US/Pacific, fall back 2024-11-03 02:00 -> 01:00
$ tranche partitions keys --def '{type: hourly, start: 2024-11-03-00:00, timezone: US/Pacific}' --now 2024-11-03T12:00:00Z
2024-11-03-00:00
2024-11-03-01:00
2024-11-03-01:00-0800
2024-11-03-02:00
2024-11-03-03:00

$ tranche partitions window --def '{type: hourly, start: 2024-11-03-00:00, timezone: US/Pacific}' 2024-11-03-01:00 2024-11-03-01:00-0800 2024-11-03-02:00
2024-11-03-01:00	2024-11-03T01:00:00-07:00	2024-11-03T01:00:00-08:00
2024-11-03-01:00-0800	2024-11-03T01:00:00-08:00	2024-11-03T02:00:00-08:00
2024-11-03-02:00	2024-11-03T02:00:00-08:00	2024-11-03T03:00:00-08:00

$ tranche partitions has --def '{type: hourly, start: 2024-11-03-00:00, timezone: US/Pacific}' --now 2024-11-04T00:00Z 2024-11-03-01:00-0800
true

$ tranche partitions has --def '{type: hourly, start: 2024-03-10-00:00, timezone: US/Pacific}' --now 2024-03-11T00:00Z 2024-03-10-02:00
false
[exit 1]

# a fmt that shows the offset needs no suffix
$ tranche partitions keys --def '{type: hourly, start: 2024-11-03, timezone: US/Pacific, fmt: "%Y-%m-%dT%H:%M%z"}' --now 2024-11-03T11:00:00Z
2024-11-03T00:00-0700
2024-11-03T01:00-0700
2024-11-03T01:00-0800
2024-11-03T02:00-0800

# daily windows are 23 or 25 hours long around transitions
$ tranche partitions window --def '{type: daily, start: 2024-03-01, timezone: US/Pacific}' 2024-03-09 2024-03-10 2024-11-03
2024-03-09	2024-03-09T00:00:00-08:00	2024-03-10T00:00:00-08:00
2024-03-10	2024-03-10T00:00:00-08:00	2024-03-11T00:00:00-07:00
2024-11-03	2024-11-03T00:00:00-07:00	2024-11-04T00:00:00-08:00

# Europe/Berlin: 2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00
$ tranche partitions window --def '{type: daily, start: 2024-03-01, timezone: Europe/Berlin}' 2024-03-31 2024-10-27
2024-03-31	2024-03-31T00:00:00+01:00	2024-04-01T00:00:00+02:00
2024-10-27	2024-10-27T00:00:00+02:00	2024-10-28T00:00:00+01:00

$ tranche partitions keys --def '{type: hourly, start: 2024-10-27-00:00, timezone: Europe/Berlin}' --now 2024-10-27T04:00:00Z
2024-10-27-00:00
2024-10-27-01:00
2024-10-27-02:00
2024-10-27-02:00+0100
2024-10-27-03:00
2024-10-27-04:00

$ tranche partitions keys --def '{type: hourly, start: 2024-03-31-00:00, timezone: Europe/Berlin}' --now 2024-03-31T03:00:00Z
2024-03-31-00:00
2024-03-31-01:00
2024-03-31-03:00
2024-03-31-04:00

# other schedules: a tick in a skipped hour moves to the end of the gap,
# a repeated time uses the later instant
$ tranche partitions window --def '{type: daily, start: 2024-03-01, hour_offset: 2, minute_offset: 30, timezone: US/Pacific}' 2024-03-09 2024-03-10
2024-03-09	2024-03-09T02:30:00-08:00	2024-03-10T03:00:00-07:00
2024-03-10	2024-03-10T03:00:00-07:00	2024-03-11T02:30:00-07:00

$ tranche partitions window --def '{type: daily, start: 2024-10-01, hour_offset: 1, minute_offset: 30, timezone: US/Pacific}' 2024-11-02 2024-11-03
2024-11-02	2024-11-02T01:30:00-07:00	2024-11-03T01:30:00-08:00
2024-11-03	2024-11-03T01:30:00-08:00	2024-11-04T01:30:00-08:00

$ tranche partitions window --def '{type: weekly, start: 2024-10-01, hour_offset: 2, timezone: Europe/Berlin}' 2024-10-27
2024-10-27	2024-10-27T02:00:00+01:00	2024-11-03T02:00:00+01:00

# Asia/Kolkata: +05:30, no DST; hourly windows start at :00 local (= :30 UTC)
$ tranche partitions keys --def '{type: hourly, start: 2024-01-01-00:00, timezone: Asia/Kolkata}' --now 2023-12-31T21:00:00Z
2024-01-01-00:00
2024-01-01-01:00

$ tranche partitions window --def '{type: hourly, start: 2024-01-01-00:00, timezone: Asia/Kolkata}' 2024-01-01-00:00
2024-01-01-00:00	2024-01-01T00:00:00+05:30	2024-01-01T01:00:00+05:30

$ tranche partitions window --def '{type: daily, start: 2024-01-01, timezone: Asia/Kolkata}' 2024-01-01 --json
{"windows":{"2024-01-01":["2024-01-01T00:00:00+05:30","2024-01-02T00:00:00+05:30"]}}

# Australia/Lord_Howe: a 30-minute DST shift (2024-04-07 02:00 -> 01:30)
$ tranche partitions keys --def '{type: hourly, start: 2024-04-07-00:00, timezone: Australia/Lord_Howe}' --now 2024-04-06T18:00:00Z
2024-04-07-00:00
2024-04-07-01:00
2024-04-07-02:00
2024-04-07-03:00

# the whole range, with DST notes
$ tranche partitions explain --def '{type: daily, start: 2024-01-01, timezone: America/New_York}' --now 2024-12-01T12:00:00Z
daily partitions on the schedule "0 0 * * *" in America/New_York, keys formatted "%Y-%m-%d"
start: "2024-01-01" = 2024-01-01T00:00:00-05:00, on the schedule, so the first partition starts there
now: 2024-12-01T07:00:00-05:00
first: "2024-01-01" = [2024-01-01T00:00:00-05:00, 2024-01-02T00:00:00-05:00)
last:  "2024-11-30" = [2024-11-30T00:00:00-05:00, 2024-12-01T00:00:00-05:00)
why:   only complete windows exist: "2024-12-01" is not complete until 2024-12-02T00:00:00-05:00, so the last partition is "2024-11-30"
count: 335 partitions
dst:   clocks change at 2024-03-10T03:00:00-04:00 (UTC offset -5:00 -> -4:00); partition "2024-03-10" is 23 hours long
dst:   clocks change at 2024-11-03T01:00:00-05:00 (UTC offset -4:00 -> -5:00); partition "2024-11-03" is 25 hours long
window: 23 hours to 25 hours

