# tranche backfill, backfills, backfill show/resume/cancel, and the backfills that
# materialize records. The failures fixture, TRANCHE_NOW=2024-01-04 (daily partitions
# 2024-01-01 .. 2024-01-03), with flaky's 2024-01-02 failing until a file named "fixed"
# exists:
#   sed -i "s/ THEN 'oops'/ AND NOT EXISTS (FROM glob('fixed')) THEN 'oops'/" tranche.yaml
# --jobs 1 where the order of output lines matters. Times, durations and the user@host
# are filtered with sed.

# ---- help and refusals: nothing is written ------------------------------------------

$ tranche help backfill | head -14
usage: tranche backfill SELECTION [--partition KEY... | --from KEY --to KEY | --missing | --stale | --failed | --all]
                        [--dry-run] [--jobs N] [--yes] [--json]
   or: tranche backfill show ID [--json]
   or: tranche backfill resume ID [--dry-run] [--jobs N] [--yes] [--json]
   or: tranche backfill cancel ID

Runs the selected asset partitions like materialize, and records the request as a backfill
that can be watched (tranche backfills, tranche backfill show ID), resumed and canceled.
SELECTION: name, +name, name+, group:x, tag:k=v, *, comma-separated.

subcommands:
  show   ID  print a backfill: status, partitions per asset, runs, what resume would run
  resume ID  run the partitions of a backfill that did not succeed
  cancel ID  stop a backfill (the process running it stops within a second)

$ tranche backfill
tranche: backfill needs a SELECTION or a subcommand (show, resume, cancel): e.g. tranche backfill '*' --all
usage: tranche backfill SELECTION [--partition KEY... | --from KEY --to KEY | --missing | --stale | --failed | --all]
                        [--dry-run] [--jobs N] [--yes] [--json]
   or: tranche backfill show ID [--json]
   or: tranche backfill resume ID [--dry-run] [--jobs N] [--yes] [--json]
   or: tranche backfill cancel ID
[exit 2]

$ tranche backfill shwo 1
tranche: unknown subcommand "backfill shwo": did you mean "show"? (valid: show, resume, cancel; or a SELECTION of assets, e.g. tranche backfill '*' --all)
[exit 2]

$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche backfill flaky; tranche backfill flaky --all --missing; tranche backfill flaky --from 2024-01-01; tranche backfill flaky --all --jobs two; tranche backfill flaky --partition 2024-01-09; tranche backfill flakey --all; ls -A
tranche: asset flaky is partitioned (daily, 3 partitions, the first is 2024-01-01): choose which with --partition KEY, --from KEY --to KEY, --missing, --failed, --stale or --all
tranche: choose one of --partition, --from/--to, --missing, --stale (or --missing --stale), --failed, --all
tranche: --from and --to go together (a range of keys, both inclusive)
tranche: --jobs: "two" is not a number of 0 or more
tranche: asset flaky (daily partitions): partition "2024-01-09" does not exist (yet, or it is past the end): partitions run from "2024-01-01" to "2024-01-03"
tranche: unknown asset "flakey" (did you mean "flaky"?)
tranche.yaml

$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche backfill show; tranche backfill show abc; tranche backfill show 0; tranche backfill show 1; tranche backfill resume 1; tranche backfill cancel 1; tranche backfill frobnicate 1; ls -A
tranche: backfill show takes one ID (got 0); tranche backfills lists them
tranche: ID: "abc" is not a backfill id (a number from tranche backfills)
tranche: ID: "0" is not a backfill id (a number from tranche backfills)
tranche: no backfill 1: there is none yet (tranche backfill SELECTION --all makes one)
tranche: no backfill 1: there is none yet (tranche backfill SELECTION --all makes one)
tranche: no backfill 1: there is none yet (tranche backfill SELECTION --all makes one)
tranche: unknown subcommand "backfill frobnicate" (valid: show, resume, cancel; or a SELECTION of assets, e.g. tranche backfill '*' --all)
tranche.yaml

$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche backfills && tranche backfills --json && ls -A
(no backfills yet: tranche backfill SELECTION --all, or a materialize of more than one partition of partitioned assets)
[]
tranche.yaml

# ---- the plan: a dry run writes nothing ---------------------------------------------

# the plan as exec prints it, then as one JSON object
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche backfill source,flaky,downstream --all --dry-run | grep -v '^  ' && tranche backfill 'flaky+' --from 2024-01-02 --to 2024-01-03 -n --json && ls -A
plan: 7 steps, 7 partitions of 3 assets (dry run: nothing is written)
source
flaky 2024-01-01
flaky 2024-01-02
flaky 2024-01-03
downstream 2024-01-01
downstream 2024-01-02
downstream 2024-01-03
{"type":"plan","partitions":4,"steps":4,"assets":[{"asset":"flaky","partitions":2,"steps":2,"policy":"multi_run","max_per_step":1,"ranges":["2024-01-02...2024-01-03"]},{"asset":"downstream","partitions":2,"steps":2,"policy":"multi_run","max_per_step":1,"ranges":["2024-01-02...2024-01-03"]}]}
tranche.yaml

# ---- a backfill that fails, then is resumed -----------------------------------------

# 2024-01-02 of flaky fails, downstream's is skipped: exit 1, and how to resume
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i "s/ THEN 'oops'/ AND NOT EXISTS (FROM glob('fixed')) THEN 'oops'/" tranche.yaml && tranche backfill source,flaky,downstream --all --jobs 1; echo "exit $?"; tranche backfills | sed -E 's/[0-9-]{10} [0-9:]{8}/TIME/; s/[0-9.]+ s$/DUR/'
failed flaky 2024-01-02: running the query: Conversion Error: Could not convert string 'oops' to INT32 (at "CAST(CASE" in LINE 2: CAST(CASE WHEN $partition_key = '2024-01-02' AND NOT EXISTS...)
skipped downstream 2024-01-02: upstream flaky failed
run 1 (backfill 1) failed: 7 steps, 5 succeeded, 1 failed, 1 skipped
see why: tranche logs 1; then retry: tranche backfill resume 1
exit 1
BACKFILL  STATUS  SELECTION                PARTITIONS  PROGRESS  FAILED  SKIPPED  CREATED              DURATION
1         failed  source,flaky,downstream  all         5/7       1       1        TIME  DUR

# show: counts and ranges per asset, the runs, what resume would run
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i "s/ THEN 'oops'/ AND NOT EXISTS (FROM glob('fixed')) THEN 'oops'/" tranche.yaml && tranche backfill source,flaky,downstream --all --jobs 1 >/dev/null 2>&1; tranche backfill show 1 | sed -E 's/[0-9-]{10} [0-9:]{8}/TIME/; s/\([0-9.]+ s\)/(DUR)/; s/cli \(.*\)/cli (USER@HOST)/'
backfill 1: failed
  selection    source,flaky,downstream
  partitions   all
  launched by  cli (USER@HOST)
  created      TIME
  ended        TIME (DUR)
  progress     5/7 partitions succeeded, 1 failed, 1 skipped
  runs         1
  error        asset flaky partition 2024-01-02: running the query: Conversion Error: Could not convert string 'oops' to INT32 (at "CAST(CASE" in LINE 2: CAST(CASE WHEN $partition_key = '2024-01-02' AND NOT EXISTS...)

ASSET       REQUESTED  SUCCEEDED  FAILED  SKIPPED
source      1          1          0       0
flaky       3          2          1       0
downstream  3          2          0       1

flaky
  requested  2024-01-01...2024-01-03
  succeeded  2024-01-01, 2024-01-03
  failed     2024-01-02
downstream
  requested  2024-01-01...2024-01-03
  succeeded  2024-01-01, 2024-01-03
  skipped    2024-01-02

resume would run 2 partitions in 2 steps: tranche backfill resume 1
  flaky       1: 2024-01-02
  downstream  1: 2024-01-02

# resume while the day still fails: the same failure, a second run of the backfill; once
# fixed, resume runs only what did not succeed and the backfill is completed
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i "s/ THEN 'oops'/ AND NOT EXISTS (FROM glob('fixed')) THEN 'oops'/" tranche.yaml && tranche backfill source,flaky,downstream --all --jobs 1 >/dev/null 2>&1; tranche backfill resume 1 --jobs 1 2>&1 | cut -c1-60; touch fixed && tranche backfill resume 1 --dry-run | grep -v '^  ' && tranche backfill resume 1 --jobs 1 && tranche backfills | sed -E 's/[0-9-]{10} [0-9:]{8}/TIME/; s/[0-9.]+ s$/DUR/' && tranche backfill show 1 | sed -E 's/[0-9-]{10} [0-9:]{8}/TIME/; s/\([0-9.]+ s\)/(DUR)/; s/cli \(.*\)/cli (USER@HOST)/' && tranche query "FROM downstream ORDER BY 1" && tranche runs | sed -E 's/STARTED +DURATION +//; s/[0-9-]{10} [0-9:]{8} +([0-9.]+ s|-) +//'
failed flaky 2024-01-02: running the query: Conversion Error
skipped downstream 2024-01-02: upstream flaky failed
run 2 (backfill 1) failed: 2 steps, 0 succeeded, 1 failed, 1
see why: tranche logs 2; then retry: tranche backfill resume
plan: 2 steps, 2 partitions of 2 assets (dry run: nothing is written)
flaky 2024-01-02
downstream 2024-01-02
run 3 (backfill 1) succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
BACKFILL  STATUS     SELECTION                PARTITIONS  PROGRESS  FAILED  SKIPPED  CREATED              DURATION
1         completed  source,flaky,downstream  all         7/7       0       0        TIME  DUR
backfill 1: completed
  selection    source,flaky,downstream
  partitions   all
  launched by  cli (USER@HOST)
  created      TIME
  ended        TIME (DUR)
  progress     7/7 partitions succeeded, 0 failed, 0 skipped
  runs         1, 2, 3

ASSET       REQUESTED  SUCCEEDED  FAILED  SKIPPED
source      1          1          0       0
flaky       3          3          0       0
downstream  3          3          0       0

flaky
  requested  2024-01-01...2024-01-03
  succeeded  2024-01-01...2024-01-03
downstream
  requested  2024-01-01...2024-01-03
  succeeded  2024-01-01...2024-01-03

resume: nothing to run: every requested partition succeeded
 day        | n10
------------+-----
 2024-01-01 |  10
 2024-01-02 |  10
 2024-01-03 |  10
(3 rows)
RUN  STATUS   STEPS  FAILED  SKIPPED  SELECTION                PARTITIONS
3    success  2/2    0       0        source,flaky,downstream  all
2    failure  0/2    1       1        source,flaky,downstream  all
1    failure  5/7    1       1        source,flaky,downstream  all

# a completed backfill cannot be resumed or canceled
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche backfill source,flaky --from 2024-01-01 --to 2024-01-01 >/dev/null && tranche backfill resume 1; echo "exit $?"; tranche backfill cancel 1; echo "exit $?"
tranche: backfill 1 is completed: only a failed, canceled or requested backfill can be resumed
exit 2
tranche: .tranche/instance.db: canceling backfill 1: backfill 1 is already completed; nothing to cancel
exit 2

# ---- cancel ---------------------------------------------------------------------------

# a failed backfill that no process runs becomes canceled at once, and can be resumed
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i "s/ THEN 'oops'/ AND NOT EXISTS (FROM glob('fixed')) THEN 'oops'/" tranche.yaml && tranche backfill flaky --all >/dev/null 2>&1; tranche backfill cancel 1 && tranche backfills --json | python3 -c 'import json, sys; [print(b["id"], b["status"], b["counts"]) for b in json.load(sys.stdin)]' && touch fixed && tranche backfill resume 1 && tranche backfill show 1 | head -1
backfill 1: canceled (resume it with: tranche backfill resume 1)
1 canceled {'total': 3, 'succeeded': 2, 'failed': 1, 'skipped': 0}
run 2 (backfill 1) succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
backfill 1: completed

# ---- materialize records a backfill when more than one partition is asked for --------

$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize source && tranche materialize flaky --partition 2024-01-01 && tranche materialize flaky --partition 2024-01-03 --partition 2024-01-01 && tranche backfills | sed -E 's/[0-9-]{10} [0-9:]{8}/TIME/; s/[0-9.]+ s$/DUR/'
run 1 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
run 2 succeeded: 1 step, 1 succeeded, 0 failed, 0 skipped
run 3 (backfill 1) succeeded: 2 steps, 2 succeeded, 0 failed, 0 skipped
BACKFILL  STATUS     SELECTION  PARTITIONS             PROGRESS  FAILED  SKIPPED  CREATED              DURATION
1         completed  flaky      2024-01-03,2024-01-01  2/2       0       0        TIME  DUR

# ---- --json: one line per ended step, then the summary --------------------------------

$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i "s/ THEN 'oops'/ AND NOT EXISTS (FROM glob('fixed')) THEN 'oops'/" tranche.yaml && tranche backfill source,flaky,downstream --all --jobs 1 --json | sed -E 's/"elapsed_ms":[0-9]+/"elapsed_ms":N/; s/Could not convert.*\)"/..."/'; echo "exit $?"
{"type":"step","asset":"source","partition":"","partitions":1,"status":"success","error":null,"elapsed_ms":N}
{"type":"step","asset":"flaky","partition":"2024-01-01","partitions":1,"status":"success","error":null,"elapsed_ms":N}
{"type":"step","asset":"flaky","partition":"2024-01-02","partitions":1,"status":"failure","error":"running the query: Conversion Error: ...","elapsed_ms":N}
{"type":"step","asset":"downstream","partition":"2024-01-02","partitions":1,"status":"skipped","error":"upstream flaky failed","elapsed_ms":N}
{"type":"step","asset":"flaky","partition":"2024-01-03","partitions":1,"status":"success","error":null,"elapsed_ms":N}
{"type":"step","asset":"downstream","partition":"2024-01-01","partitions":1,"status":"success","error":null,"elapsed_ms":N}
{"type":"step","asset":"downstream","partition":"2024-01-03","partitions":1,"status":"success","error":null,"elapsed_ms":N}
{"type":"summary","run_id":1,"backfill_id":1,"status":"failure","steps":{"total":7,"succeeded":5,"failed":1,"skipped":1},"partitions":{"total":7,"succeeded":5,"failed":1,"skipped":1},"retries":0,"checks_failed":0,"first_error":"asset flaky partition 2024-01-02: running the query: Conversion Error: ..."}
exit 0

$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && tranche materialize source --json | sed -E 's/"elapsed_ms":[0-9]+/"elapsed_ms":N/' && tranche materialize source --missing --json
{"type":"step","asset":"source","partition":"","partitions":1,"status":"success","error":null,"elapsed_ms":N}
{"type":"summary","run_id":1,"backfill_id":null,"status":"success","steps":{"total":1,"succeeded":1,"failed":0,"skipped":0},"partitions":{"total":1,"succeeded":1,"failed":0,"skipped":0},"retries":0,"checks_failed":0,"first_error":null}
{"type":"summary","run_id":null,"backfill_id":null,"status":"nothing_to_do","steps":{"total":0,"succeeded":0,"failed":0,"skipped":0},"partitions":{"total":0,"succeeded":0,"failed":0,"skipped":0},"retries":0,"checks_failed":0,"first_error":null}

$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i "s/ THEN 'oops'/ AND NOT EXISTS (FROM glob('fixed')) THEN 'oops'/" tranche.yaml && tranche backfill source,flaky,downstream --all --jobs 1 >/dev/null 2>&1; tranche backfill show 1 --json | python3 -c 'import json, sys; b = json.load(sys.stdin); print(b["id"], b["status"], b["selection"], b["partitions"], b["counts"], b["runs"], b["ended_at"] > b["created_at"]); [print(a) for a in b["assets"]]; print(b["resume"])'
1 failed source,flaky,downstream all {'total': 7, 'succeeded': 5, 'failed': 1, 'skipped': 1} [1] True
{'asset': 'source', 'partitioned': False, 'requested': {'count': 1, 'ranges': None}, 'succeeded': {'count': 1, 'ranges': None}, 'failed': {'count': 0, 'ranges': None}, 'skipped': {'count': 0, 'ranges': None}}
{'asset': 'flaky', 'partitioned': True, 'requested': {'count': 3, 'ranges': ['2024-01-01...2024-01-03']}, 'succeeded': {'count': 2, 'ranges': ['2024-01-01', '2024-01-03']}, 'failed': {'count': 1, 'ranges': ['2024-01-02']}, 'skipped': {'count': 0, 'ranges': []}}
{'asset': 'downstream', 'partitioned': True, 'requested': {'count': 3, 'ranges': ['2024-01-01...2024-01-03']}, 'succeeded': {'count': 2, 'ranges': ['2024-01-01', '2024-01-03']}, 'failed': {'count': 0, 'ranges': []}, 'skipped': {'count': 1, 'ranges': ['2024-01-02']}}
{'partitions': 2, 'steps': 2, 'assets': [{'asset': 'flaky', 'partitions': 1, 'steps': 1}, {'asset': 'downstream', 'partitions': 1, 'steps': 1}]}

# ---- steps over several partitions, retries ---------------------------------------------

# single_run: one step writes the three days; the summary counts partitions
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i '/^  downstream:/a\    backfill: {policy: single_run}' tranche.yaml && sed -i "s/THEN 'oops'/THEN '2'/" tranche.yaml && tranche materialize source,flaky --all >/dev/null && tranche backfill downstream --all && tranche backfill downstream --all --dry-run --json && tranche backfill downstream --from 2024-01-02 --to 2024-01-03 --json | sed -E 's/"elapsed_ms":[0-9]+/"elapsed_ms":N/'
run 2 (backfill 2) succeeded: 3 partitions in 1 step, 3 succeeded, 0 failed, 0 skipped
{"type":"plan","partitions":3,"steps":1,"assets":[{"asset":"downstream","partitions":3,"steps":1,"policy":"single_run","max_per_step":0,"ranges":["2024-01-01...2024-01-03"]}]}
{"type":"step","asset":"downstream","partition":"2024-01-02...2024-01-03","partitions":2,"status":"success","error":null,"elapsed_ms":N}
{"type":"summary","run_id":3,"backfill_id":3,"status":"success","steps":{"total":1,"succeeded":1,"failed":0,"skipped":0},"partitions":{"total":2,"succeeded":2,"failed":0,"skipped":0},"retries":0,"checks_failed":0,"first_error":null}

# a retried step: one line when it is tried again, the count in the summary
$ cp -r "$FIXTURES"/failures/. . && export TRANCHE_NOW=2024-01-04 && sed -i '/^  flaky:/a\    retries: {max: 1}' tranche.yaml && tranche backfill source,flaky --all --jobs 1 2>&1 | sed 's/: running the query: .*/: .../'; tranche backfill flaky --partition 2024-01-02 --json | python3 -c 'import json, sys; [print(d["type"], d["status"], d.get("partitions"), d.get("retries")) for d in map(json.loads, sys.stdin)]'
retrying flaky 2024-01-02: ...
failed flaky 2024-01-02: ...
run 1 (backfill 1) failed: 4 steps, 3 succeeded, 1 failed, 0 skipped, 1 retry
see why: tranche logs 1; then retry: tranche backfill resume 1
step retry 1 None
step failure 1 None
summary failure {'total': 1, 'succeeded': 0, 'failed': 1, 'skipped': 0} 1

