/*
 * tranche/admin.h — the warehouse upkeep behind `tranche wipe` and `tranche
 * adopt`, shared by the CLI (which runs it on its own warehouse) and `tranche
 * serve` (which runs it on the warehouse it owns, for POST
 * /api/assets/NAME/wipe and /adopt), so that both check the same things, say
 * the same messages and write the same answers.
 *
 *   wipe.c          tr_wipe_*: which rows of an asset to delete, and deleting
 *                   them with their status
 *   adopt_report.c  tr_adopt_report_* and tr_adopt_next_get: adopt's report as
 *                   JSON (`tranche adopt --json`, the API's answer) and as text
 *                   (rendered from that JSON, so that the CLI prints the same
 *                   from a local adopt as from a server's answer)
 *
 * Errors: 0 or a negative TR_E* code with err filled (tranche/error.h).
 * Nothing here prints.
 */
#ifndef TRANCHE_ADMIN_H
#define TRANCHE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/buf.h"
#include "tranche/error.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/keyset.h"
#include "tranche/partitions.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

/* ---- wipe (wipe.c) ------------------------------------------------------- */

/* What to wipe. The strings are read during tr_wipe_plan_make only. */
typedef struct tr_wipe_request {
	const char *asset;
	/* partitions: keys or FIRST...LAST ranges; or a range from..to (inclusive);
	   neither: the whole asset (its table dropped, every status forgotten) */
	const char *const *keys;
	size_t n_keys;
	const char *from, *to;
	int64_t now; /* Unix seconds: which partitions exist */
} tr_wipe_request;

/* A checked request (tr_wipe_plan_release frees it). */
typedef struct tr_wipe_plan {
	size_t asset;         /* its index in the project */
	int whole;            /* drop the table */
	tr_partitions *parts; /* the asset's partitions (NULL: unpartitioned) */
	tr_keyset keys;       /* the partitions to wipe (empty when whole) */
} tr_wipe_plan;

typedef struct tr_wipe_report {
	int whole;
	int64_t partitions; /* partitions wiped (0 when whole) */
	int64_t rows;       /* rows deleted */
} tr_wipe_report;

/*
 * Checks req against project p (dynamic keys from st) without writing:
 * the asset exists (TR_ENOTFOUND naming the nearest), partitions are asked
 * only of a partitioned asset with a partition_expr (TR_EINVAL), from and to
 * go together, every key and range exists (TR_EINVAL or TR_ERANGE, the
 * message prefixed "asset NAME (TYPE partitions): ", as materialize says it).
 * *out is filled on success (release it in any case).
 */
int tr_wipe_plan_make(const tr_project *p, tr_storage *st, const tr_wipe_request *req,
		      tr_wipe_plan *out, tr_error *err);
void tr_wipe_plan_release(tr_wipe_plan *plan);
/*
 * Carries the plan out on conn: each partition's slice deleted in its own
 * transaction, then a `wipe` event recorded for it (its status forgotten);
 * whole: the table dropped, then every status of the asset forgotten. A
 * failure stops at the partition it happened to; those before stay wiped.
 * *report (zeroed first) counts what was done.
 */
int tr_wipe_run(const tr_project *p, tr_storage *st, tr_wconn *conn, const tr_wipe_plan *plan,
		tr_wipe_report *report, tr_error *err);

/* ---- adopt's report (adopt_report.c) ----------------------------------- */

/* What the report says comes next (after tr_adopt_record, or as if, for a dry run). */
typedef struct tr_adopt_next {
	int64_t total;         /* partitions that exist now */
	int64_t missing_after; /* what `tranche materialize ASSET --missing` would run */
} tr_adopt_next;

/* Fills *out for report r of asset i (dry_run: as if r were recorded). */
int tr_adopt_next_get(const tr_project *p, tr_storage *st, size_t i, const tr_adopt_report *r,
		      int dry_run, tr_adopt_next *out, tr_error *err);
/*
 * The report as one JSON object (no newline after it): what `tranche adopt
 * --json` prints and POST /api/assets/NAME/adopt answers (docs/cli.md).
 */
void tr_adopt_report_write_json(const tr_adopt_report *r, int dry_run, const tr_adopt_next *next,
				tr_json *j);
/*
 * The report as `tranche adopt` prints it, from its JSON form (json, len
 * bytes), appended to out. TR_EINVAL when json is not such a report.
 */
int tr_adopt_report_text(const char *json, size_t len, tr_buf *out, tr_error *err);

#endif
