/*
 * wipe.c — tr_wipe_*: deleting an asset's rows (some partitions' slices, or
 * its whole table) and forgetting their status (tranche/admin.h).
 *
 * Two steps, so that a refused request touches nothing: tr_wipe_plan_make
 * checks the request against the project and storage (no warehouse needed),
 * tr_wipe_run does the work on a warehouse connection. Callers: `tranche
 * wipe` (cmd_query.c), which opens the warehouse only after the plan, and
 * tranche serve's POST /api/assets/NAME/wipe (api_admin.c), which checks the
 * plan against the partitions its running runs write in between.
 *
 * A partition's slice is deleted in one transaction (tr_wconn_wipe), then a
 * `wipe` event is recorded for it outside any run, which makes its status
 * "missing" again. The slice's bounds are bound parameters in the zone of the
 * asset's time partitions, as loads bind them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tranche/admin.h"

int tr_wipe_plan_make(const tr_project *p, tr_storage *st, const tr_wipe_request *req,
		      tr_wipe_plan *out, tr_error *err)
{
	const tr_asset *a;
	int rc;

	memset(out, 0, sizeof(*out));
	tr_keyset_init(&out->keys);
	if ((rc = tr_project_find(p, req->asset ? req->asset : "", &out->asset, err)))
		return rc;
	a = &p->assets[out->asset];
	if ((req->from != NULL) != (req->to != NULL))
		return tr_error_set(err, TR_EINVAL, "a range of partitions needs both its first "
						    "(from) and its last (to) key, both inclusive");
	out->whole = !req->n_keys && !req->from;
	if ((rc = tr_asset_partitions(p, st, out->asset, req->now, &out->parts, err)))
		return rc;
	if (out->whole)
		return 0;
	if (!out->parts)
		return tr_error_set(err, TR_EINVAL,
				    "asset %s is not partitioned: only its whole table can be wiped",
				    a->name);
	if (!a->n_partition_expr)
		return tr_error_set(err, TR_EINVAL,
				    "asset %s has no partition_expr, so tranche cannot tell which rows "
				    "belong to a partition: wipe it whole, or give it a partition_expr",
				    a->name);
	if (req->n_keys)
		rc = tr_partitions_keyset_from_keys(out->parts, req->keys, req->n_keys, &out->keys,
						    err);
	else
		rc = tr_partitions_keyset_from_range(out->parts, req->from, req->to, &out->keys, err);
	if (rc) /* as materialize says it: which asset's partitions the key was checked against */
		tr_error_prefix(err, "asset %s (%s partitions)", a->name,
				tr_partdef_type_name(a->partdef));
	return rc;
}

void tr_wipe_plan_release(tr_wipe_plan *plan)
{
	if (!plan)
		return;
	tr_keyset_release(&plan->keys);
	tr_partitions_free(plan->parts);
	memset(plan, 0, sizeof(*plan));
}

static int wipe_partitions(const tr_project *p, tr_storage *st, tr_wconn *conn,
			   const tr_wipe_plan *plan, tr_wipe_report *report, tr_error *err)
{
	const tr_asset *a = &p->assets[plan->asset];
	tr_keyset_iter it;
	int64_t index;
	int rc = 0;

	tr_keyset_iter_init(&it, &plan->keys);
	/* the slice's bounds meet TIMESTAMPTZ columns in the partitions' zone, as in loads */
	rc = tr_wconn_set_timezone(conn, tr_asset_timezone(a), err);
	while (!rc && tr_keyset_iter_next(&it, &index)) {
		tr_partition_params pp;
		int64_t deleted = 0;
		tr_event ev = {0};

		if ((rc = tr_partition_params_make(p, plan->asset, plan->parts, index, &pp, err)))
			break;
		rc = tr_wconn_wipe(conn, a->table, pp.slice, pp.params, pp.n, &deleted, err);
		if (!rc) {
			char msg[64];

			snprintf(msg, sizeof(msg), "%lld row%s deleted", (long long)deleted,
				 deleted == 1 ? "" : "s");
			ev.ts = (int64_t)time(NULL) * 1000;
			ev.type = "wipe";
			ev.asset = a->name;
			ev.partition = pp.key;
			ev.message = msg;
			rc = tr_storage_events_add(st, &ev, 1, err);
			report->rows += deleted;
			report->partitions += !rc;
		}
		tr_partition_params_release(&pp);
	}
	return rc;
}

/* Forgets every status row of the asset (after its table was dropped). */
static int forget_all(tr_storage *st, const tr_asset *a, tr_error *err)
{
	tr_pstatus *rows = NULL;
	size_t n = 0;
	int rc = tr_storage_partition_status(st, a->name, &rows, &n, err);
	tr_event *evs = NULL;

	if (rc || !n)
		goto out;
	evs = calloc(n, sizeof(*evs));
	if (!evs) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		evs[k].ts = (int64_t)time(NULL) * 1000;
		evs[k].type = "wipe";
		evs[k].asset = a->name;
		evs[k].partition = rows[k].partition;
		evs[k].message = "table dropped";
	}
	rc = tr_storage_events_add(st, evs, n, err);
out:
	free(evs);
	tr_pstatus_free(rows, n);
	return rc;
}

int tr_wipe_run(const tr_project *p, tr_storage *st, tr_wconn *conn, const tr_wipe_plan *plan,
		tr_wipe_report *report, tr_error *err)
{
	const tr_asset *a = &p->assets[plan->asset];
	int rc;

	memset(report, 0, sizeof(*report));
	report->whole = plan->whole;
	if (!plan->whole)
		return wipe_partitions(p, st, conn, plan, report, err);
	rc = tr_wconn_wipe(conn, a->table, NULL, NULL, 0, &report->rows, err);
	if (!rc)
		rc = forget_all(st, a, err);
	return rc;
}
