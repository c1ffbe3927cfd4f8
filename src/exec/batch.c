/*
 * batch.c — events gathered in memory and written to instance storage in one
 * transaction: the events of one step, or of one round of the executor.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec_int.h"

int64_t exec_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *batch_keep(struct batch *b, char *s)
{
	if (!s) {
		b->failed = 1;
		return NULL;
	}
	if (b->n_strs == b->cap_strs) {
		size_t cap = b->cap_strs ? b->cap_strs * 2 : 16;
		char **grown = realloc(b->strs, cap * sizeof(*grown));

		if (!grown) {
			free(s);
			b->failed = 1;
			return NULL;
		}
		b->strs = grown;
		b->cap_strs = cap;
	}
	b->strs[b->n_strs++] = s;
	return s;
}

const char *batch_dup(struct batch *b, const char *s)
{
	return s ? batch_keep(b, strdup(s)) : NULL;
}

tr_event *batch_add(struct batch *b, int64_t run_id, const char *type, const char *asset,
			   const char *partition)
{
	tr_event *ev;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		tr_event *grown = realloc(b->evs, cap * sizeof(*grown));

		if (!grown) {
			b->failed = 1;
			return NULL;
		}
		b->evs = grown;
		b->cap = cap;
	}
	ev = &b->evs[b->n++];
	memset(ev, 0, sizeof(*ev));
	ev->run_id = run_id;
	ev->ts = exec_wall_ms();
	ev->type = type;
	ev->asset = asset;
	ev->partition = partition;
	return ev;
}

void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n_strs; i++)
		free(b->strs[i]);
	b->n = b->n_strs = 0;
	b->failed = 0;
}

void batch_release(struct batch *b)
{
	batch_clear(b);
	free(b->evs);
	free(b->strs);
	memset(b, 0, sizeof(*b));
}

int batch_flush(struct batch *b, tr_storage *st, tr_error *err)
{
	int rc = 0;

	if (b->failed)
		rc = tr_error_set(err, TR_ENOMEM, "out of memory recording events");
	else if (b->n)
		rc = tr_storage_events_add(st, b->evs, b->n, err);
	batch_clear(b);
	return rc;
}

int batch_move(struct batch *dst, struct batch *src)
{
	int rc = 0;

	if (src->failed)
		dst->failed = 1;
	for (size_t k = 0; k < src->n && !rc; k++) {
		tr_event *ev = batch_add(dst, 0, NULL, NULL, NULL);

		if (!ev) {
			rc = TR_ENOMEM;
			break;
		}
		*ev = src->evs[k];
	}
	/* the strings change hands */
	for (size_t k = 0; k < src->n_strs && !rc; k++) {
		if (!batch_keep(dst, src->strs[k]))
			rc = TR_ENOMEM;
		src->strs[k] = NULL;
	}
	src->n_strs = 0;
	batch_clear(src);
	return rc;
}
