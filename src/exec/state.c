/*
 * state.c — the state of an asset's partitions (materialized, failed, in
 * progress, missing) from instance storage.
 */
#include <stdlib.h>
#include <string.h>

#include "tranche/exec.h"

int tr_asset_state_get(const tr_project *p, tr_storage *st, size_t i, const tr_partitions *parts,
		       tr_asset_state *out, tr_error *err)
{
	tr_pstatus *rows = NULL;
	size_t n = 0;
	tr_keyset known;
	int rc;

	tr_keyset_init(&out->materialized);
	tr_keyset_init(&out->failed);
	tr_keyset_init(&out->in_progress);
	tr_keyset_init(&out->missing);
	tr_keyset_init(&known);
	out->total = parts ? tr_partitions_count(parts) : 1;
	rc = tr_storage_partition_status(st, p->assets[i].name, &rows, &n, err);
	if (rc)
		goto out;
	for (size_t r = 0; r < n && !rc; r++) {
		int64_t index = 0;
		tr_keyset *into;

		if (parts) {
			if (!tr_partitions_has(parts, rows[r].partition))
				continue; /* a key that no longer exists */
			if (tr_partitions_index(parts, rows[r].partition, &index, NULL))
				continue;
		} else if (rows[r].partition[0]) {
			continue; /* the asset was partitioned once */
		}
		if (!strcmp(rows[r].status, "materialized"))
			into = &out->materialized;
		else if (!strcmp(rows[r].status, "failed"))
			into = &out->failed;
		else if (!strcmp(rows[r].status, "in_progress"))
			into = &out->in_progress;
		else
			continue;
		rc = tr_keyset_add(into, index);
	}
	if (!rc)
		rc = tr_keyset_union(&known, &out->materialized, &out->failed);
	if (!rc) {
		tr_keyset tmp;

		tr_keyset_init(&tmp);
		rc = tr_keyset_union(&tmp, &known, &out->in_progress);
		if (!rc)
			rc = tr_keyset_complement(&out->missing, &tmp, out->total);
		tr_keyset_release(&tmp);
	}
	if (rc && !err->code)
		tr_error_set(err, TR_ENOMEM, "out of memory reading the state of %s",
			     p->assets[i].name);
out:
	tr_keyset_release(&known);
	tr_pstatus_free(rows, n);
	if (rc)
		tr_asset_state_release(out);
	return rc;
}

void tr_asset_state_release(tr_asset_state *s)
{
	tr_keyset_release(&s->materialized);
	tr_keyset_release(&s->failed);
	tr_keyset_release(&s->in_progress);
	tr_keyset_release(&s->missing);
}
