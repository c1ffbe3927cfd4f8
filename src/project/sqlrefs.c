/*
 * sqlrefs.c — which tables a SQL text reads, for inferring an asset's
 * dependencies (project.c) from its `sql`, `sql_file` or `script`.
 *
 * Three passes over the text:
 *   1. tokenize: identifiers, quoted identifiers, strings, numbers,
 *      parameters, punctuation; comments and whitespace dropped;
 *   2. WITH lists: each common table expression's name with the token range
 *      where it is visible (after its body — or from its name on for WITH
 *      RECURSIVE — to the end of the statement or subquery holding the WITH);
 *   3. FROM clauses: one state per parenthesis level; FROM and JOIN open a
 *      table position, and so does a comma while the level is in a FROM
 *      clause (until WHERE, GROUP, ORDER, SELECT, UNION, ...), and USING
 *      when a name follows (MERGE INTO t USING src). A name in a
 *      table position is a table unless a '(' follows it (a table function)
 *      or it is a visible CTE name.
 * A scanner, not a parser: bad SQL gives whatever was recognised, never an
 * error. The warehouse reports SQL errors when the query runs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "project/project_int.h"
#include "tranche/buf.h"

typedef enum { TK_IDENT, TK_QIDENT, TK_STRING, TK_NUMBER, TK_PARAM, TK_PUNCT } tok_kind;

typedef struct token {
	tok_kind kind;
	const char *text; /* TK_QIDENT: inside the quotes (with "" doubled) */
	size_t len;
} token;

typedef struct tokens {
	token *v;
	size_t n, cap;
	int failed;
} tokens;

static void push(tokens *t, tok_kind kind, const char *text, size_t len)
{
	if (t->failed)
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		token *v = realloc(t->v, cap * sizeof(*v));

		if (!v) {
			t->failed = 1;
			return;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].kind = kind;
	t->v[t->n].text = text;
	t->v[t->n].len = len;
	t->n++;
}

static int ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int ident_char(unsigned char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/* Past a '...' string starting at s (at the quote); backslash escapes when `escapes`. */
static const char *skip_string(const char *s, int escapes)
{
	for (s++; *s; s++) {
		if (escapes && *s == '\\' && s[1]) {
			s++;
		} else if (*s == '\'') {
			if (s[1] != '\'')
				return s + 1;
			s++;
		}
	}
	return s;
}

/* Past a block comment starting at s ("/" "*"); nested ones count, as in PostgreSQL. */
static const char *skip_block_comment(const char *s)
{
	int depth = 0;

	while (*s) {
		if (s[0] == '/' && s[1] == '*') {
			depth++;
			s += 2;
		} else if (s[0] == '*' && s[1] == '/') {
			s += 2;
			if (--depth == 0)
				return s;
		} else {
			s++;
		}
	}
	return s;
}

/* At '$': a dollar-quoted string ($$..$$, $tag$..$tag$) or a parameter ($name, $1). */
static const char *skip_dollar(tokens *t, const char *s)
{
	const char *p = s + 1, *end;
	size_t tag_len;

	while (ident_char((unsigned char)*p))
		p++;
	if (*p != '$' || (p > s + 1 && s[1] >= '0' && s[1] <= '9')) {
		push(t, TK_PARAM, s, (size_t)(p - s));
		return p;
	}
	tag_len = (size_t)(p + 1 - s); /* "$tag$" */
	for (end = p + 1; *end; end++)
		if (*end == '$' && strncmp(end, s, tag_len) == 0) {
			push(t, TK_STRING, s, (size_t)(end + tag_len - s));
			return end + tag_len;
		}
	push(t, TK_STRING, s, (size_t)(end - s));
	return end;
}

static void tokenize(const char *s, tokens *t)
{
	while (*s && !t->failed) {
		unsigned char c = (unsigned char)*s;
		const char *start = s;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			s++;
		} else if (c == '-' && s[1] == '-') {
			while (*s && *s != '\n')
				s++;
		} else if (c == '/' && s[1] == '*') {
			s = skip_block_comment(s);
		} else if (c == '\'') {
			s = skip_string(s, 0);
			push(t, TK_STRING, start, (size_t)(s - start));
		} else if (c == '"') {
			for (s++; *s; s++)
				if (*s == '"') {
					if (s[1] != '"')
						break;
					s++;
				}
			push(t, TK_QIDENT, start + 1, (size_t)(s - start - 1));
			if (*s)
				s++;
		} else if (c == '$') {
			s = skip_dollar(t, s);
		} else if (ident_start(c)) {
			while (ident_char((unsigned char)*s))
				s++;
			if (s - start == 1 && (c == 'e' || c == 'E') && *s == '\'') {
				s = skip_string(s, 1); /* E'..' escape string */
				push(t, TK_STRING, start, (size_t)(s - start));
			} else {
				push(t, TK_IDENT, start, (size_t)(s - start));
			}
		} else if (c >= '0' && c <= '9') {
			while (ident_char((unsigned char)*s) || *s == '.')
				s++;
			push(t, TK_NUMBER, start, (size_t)(s - start));
		} else {
			push(t, TK_PUNCT, start, 1);
			s++;
		}
	}
}

/* ---- token tests ------------------------------------------------------------ */

static int is_kw(const token *tk, const char *kw)
{
	return tk->kind == TK_IDENT && strlen(kw) == tk->len && strncasecmp(tk->text, kw, tk->len) == 0;
}

static int is_kw_in(const token *tk, const char *const *kws)
{
	for (; *kws; kws++)
		if (is_kw(tk, *kws))
			return 1;
	return 0;
}

static int is_punct(const token *tk, char c)
{
	return tk->kind == TK_PUNCT && tk->text[0] == c;
}

static int is_name(const token *tk)
{
	return tk->kind == TK_IDENT || tk->kind == TK_QIDENT;
}

/* Words that end a FROM clause at their parenthesis level. */
static const char *const clause_words[] = {
	"where", "group", "having", "order", "limit", "offset", "qualify", "window", "union",
	"except", "intersect", "select", "returning", "set", "values", "fetch", "for", "into",
	NULL,
};

/* Words that cannot be a table in a table position (what follows is something else). */
static const char *const not_table_words[] = {
	"select", "values", "with", "where", "group", "order", "limit", "on", "using", "join",
	"left", "right", "inner", "outer", "full", "cross", "natural", "union", "except",
	"intersect", "having", "set", "as", "table", NULL,
};

/* Functions whose arguments use FROM as syntax: extract(year FROM d) ... */
static const char *const from_functions[] = {"extract", "substring", "trim", "overlay", NULL};

/* ---- CTEs ------------------------------------------------------------------------ */

typedef struct cte {
	const token *name;
	size_t from, to; /* visible in tokens [from, to) */
} cte;

typedef struct scan {
	tokens t;
	size_t *match;     /* for '(' tokens: index of the matching ')' (or n) */
	size_t *enclosing; /* innermost open '(' holding each token, or SIZE_MAX */
	cte *ctes;
	size_t n_ctes, cap_ctes;
	char **names;
	size_t n_names, cap_names;
	int failed;
} scan;

static int match_parens(scan *sc)
{
	size_t n = sc->t.n, depth = 0, *stack;

	sc->match = malloc((n + 1) * sizeof(size_t));
	sc->enclosing = malloc((n + 1) * sizeof(size_t));
	stack = malloc((n + 1) * sizeof(size_t));
	if (!sc->match || !sc->enclosing || !stack) {
		free(stack);
		return TR_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const token *tk = &sc->t.v[i];

		sc->match[i] = n;
		if (is_punct(tk, ')') && depth)
			sc->match[stack[--depth]] = i;
		sc->enclosing[i] = depth ? stack[depth - 1] : SIZE_MAX;
		if (is_punct(tk, '('))
			stack[depth++] = i;
	}
	free(stack);
	return 0;
}

/* Where the scope of a WITH at token w ends: its subquery's ')' or the statement's ';'. */
static size_t scope_end(const scan *sc, size_t w)
{
	size_t n = sc->t.n;

	if (sc->enclosing[w] != SIZE_MAX)
		return sc->match[sc->enclosing[w]];
	for (size_t i = w; i < n; i++)
		if (is_punct(&sc->t.v[i], ';') && sc->enclosing[i] == SIZE_MAX)
			return i;
	return n;
}

static int add_cte(scan *sc, const token *name, size_t from, size_t to)
{
	if (sc->n_ctes == sc->cap_ctes) {
		size_t cap = sc->cap_ctes ? 2 * sc->cap_ctes : 8;
		cte *v = realloc(sc->ctes, cap * sizeof(*v));

		if (!v)
			return TR_ENOMEM;
		sc->ctes = v;
		sc->cap_ctes = cap;
	}
	sc->ctes[sc->n_ctes].name = name;
	sc->ctes[sc->n_ctes].from = from;
	sc->ctes[sc->n_ctes].to = to;
	sc->n_ctes++;
	return 0;
}

/*
 * WITH [RECURSIVE] name [(cols)] [USING KEY (cols)] AS [NOT] [MATERIALIZED] (body) [, ...]
 * Anything else after WITH (WITH ORDINALITY, WITH TIME ZONE, COPY ... WITH (...)) is not a
 * CTE list and is left alone.
 */
static int find_ctes(scan *sc)
{
	const token *v = sc->t.v;
	size_t n = sc->t.n;

	for (size_t w = 0; w < n; w++) {
		size_t i = w + 1, end;
		int recursive = 0;

		if (!is_kw(&v[w], "with"))
			continue;
		end = scope_end(sc, w);
		if (i < n && is_kw(&v[i], "recursive")) {
			recursive = 1;
			i++;
		}
		for (;;) {
			size_t name = i;

			if (i >= n || !is_name(&v[i]))
				break;
			i++;
			if (i < n && is_punct(&v[i], '('))
				i = sc->match[i] + 1;
			if (i + 2 < n && is_kw(&v[i], "using") && is_kw(&v[i + 1], "key") &&
			    is_punct(&v[i + 2], '('))
				i = sc->match[i + 2] + 1;
			if (i >= n || !is_kw(&v[i], "as"))
				break;
			i++;
			if (i < n && is_kw(&v[i], "not"))
				i++;
			if (i < n && is_kw(&v[i], "materialized"))
				i++;
			if (i >= n || !is_punct(&v[i], '('))
				break;
			i = sc->match[i];
			if (add_cte(sc, &v[name], recursive ? name : i + 1, end))
				return TR_ENOMEM;
			if (i + 1 < n && is_punct(&v[i + 1], ','))
				i += 2;
			else
				break;
		}
	}
	return 0;
}

/* Appends a token's name: an identifier as written, a quoted one unescaped. */
static void append_name(tr_buf *b, const token *tk)
{
	if (tk->kind != TK_QIDENT) {
		tr_buf_add(b, tk->text, tk->len);
		return;
	}
	for (size_t i = 0; i < tk->len; i++) {
		tr_buf_addc(b, tk->text[i]);
		if (tk->text[i] == '"' && i + 1 < tk->len && tk->text[i + 1] == '"')
			i++;
	}
}

/* Whether two name tokens name the same thing (case-insensitively, as DuckDB compares). */
static int same_name(const token *a, const token *b)
{
	tr_buf x = TR_BUF_INIT, y = TR_BUF_INIT;
	int same;

	append_name(&x, a);
	append_name(&y, b);
	same = !tr_buf_failed(&x) && !tr_buf_failed(&y) &&
	       strcasecmp(tr_buf_str(&x), tr_buf_str(&y)) == 0;
	tr_buf_release(&x);
	tr_buf_release(&y);
	return same;
}

static int is_visible_cte(const scan *sc, size_t at)
{
	for (size_t i = 0; i < sc->n_ctes; i++)
		if (at >= sc->ctes[i].from && at < sc->ctes[i].to &&
		    same_name(sc->ctes[i].name, &sc->t.v[at]))
			return 1;
	return 0;
}

/* ---- FROM clauses ------------------------------------------------------------ */

static void add_name(scan *sc, char *name)
{
	if (!name) {
		sc->failed = 1;
		return;
	}
	for (size_t i = 0; i < sc->n_names; i++)
		if (strcasecmp(sc->names[i], name) == 0) {
			free(name);
			return;
		}
	if (sc->n_names == sc->cap_names) {
		size_t cap = sc->cap_names ? 2 * sc->cap_names : 8;
		char **v = realloc(sc->names, cap * sizeof(*v));

		if (!v) {
			free(name);
			sc->failed = 1;
			return;
		}
		sc->names = v;
		sc->cap_names = cap;
	}
	sc->names[sc->n_names++] = name;
}

/*
 * A name in a table position at token i: reads `a`, `a.b` or `a.b.c` and records it
 * unless a '(' follows (a table function) or it is a visible CTE. Returns the index of
 * the last token of the name.
 */
static size_t table_at(scan *sc, size_t i)
{
	const token *v = sc->t.v;
	size_t n = sc->t.n, j = i;
	tr_buf name = TR_BUF_INIT;

	while (j + 2 < n && is_punct(&v[j + 1], '.') && is_name(&v[j + 2]))
		j += 2;
	if (j + 1 < n && is_punct(&v[j + 1], '('))
		return j; /* read_csv(...), generate_series(...), a.func(...) */
	if (j == i && is_visible_cte(sc, i))
		return j;
	for (size_t k = i; k <= j; k += 2) {
		if (k > i)
			tr_buf_addc(&name, '.');
		append_name(&name, &v[k]);
	}
	add_name(sc, tr_buf_failed(&name) ? NULL : tr_buf_detach(&name, NULL));
	tr_buf_release(&name);
	return j;
}

/* Whether the FROM at token i is SQL syntax of something other than a FROM clause. */
static int from_is_not_a_clause(const scan *sc, size_t i)
{
	const token *v = sc->t.v;
	size_t open = sc->enclosing[i];

	if (i >= 1 && is_kw(&v[i - 1], "delete"))
		return 1; /* DELETE FROM t: t is written, not read */
	if (i >= 2 && is_kw(&v[i - 1], "distinct") &&
	    (is_kw(&v[i - 2], "is") || is_kw(&v[i - 2], "not")))
		return 1; /* a IS [NOT] DISTINCT FROM b */
	return open != SIZE_MAX && open >= 1 && is_kw_in(&v[open - 1], from_functions);
}

static int find_tables(scan *sc)
{
	const token *v = sc->t.v;
	size_t n = sc->t.n, depth = 0;
	unsigned char *in_from = calloc(n + 1, 1); /* per parenthesis level */
	int expect = 0; /* the next token is in a table position */

	if (!in_from)
		return TR_ENOMEM;
	for (size_t i = 0; i < n && !sc->failed; i++) {
		const token *tk = &v[i];

		if (is_punct(tk, '(')) {
			in_from[++depth] = 0;
			expect = 0;
			continue;
		}
		if (is_punct(tk, ')')) {
			if (depth)
				depth--;
			expect = 0;
			continue;
		}
		if (is_punct(tk, ';')) {
			depth = 0;
			in_from[0] = 0;
			expect = 0;
			continue;
		}
		if (expect) {
			expect = 0;
			if (is_kw(tk, "lateral") || is_kw(tk, "only")) {
				expect = 1;
				continue;
			}
			if (tk->kind == TK_QIDENT || (tk->kind == TK_IDENT && !is_kw_in(tk, not_table_words))) {
				i = table_at(sc, i);
				continue;
			}
		}
		if (is_kw(tk, "from")) {
			if (!from_is_not_a_clause(sc, i)) {
				in_from[depth] = 1;
				expect = 1;
			}
		} else if (is_kw(tk, "join")) {
			in_from[depth] = 1;
			expect = 1;
		} else if (is_kw(tk, "using")) {
			/* MERGE INTO t USING src, DELETE FROM t USING src; not JOIN ... USING (cols),
			   USING SAMPLE, USING KEY (...) */
			expect = i + 1 < n && !is_punct(&v[i + 1], '(') && !is_kw(&v[i + 1], "sample") &&
				 !is_kw(&v[i + 1], "key");
		} else if (is_punct(tk, ',')) {
			expect = in_from[depth];
		} else if (is_kw_in(tk, clause_words)) {
			in_from[depth] = 0;
		}
	}
	free(in_from);
	return sc->failed ? TR_ENOMEM : 0;
}

int tr_sql_tables_read(const char *sql, char ***names, size_t *n)
{
	scan sc;
	int rc;

	memset(&sc, 0, sizeof(sc));
	*names = NULL;
	*n = 0;
	if (!sql)
		return 0;
	tokenize(sql, &sc.t);
	rc = sc.t.failed ? TR_ENOMEM : 0;
	if (!rc)
		rc = match_parens(&sc);
	if (!rc)
		rc = find_ctes(&sc);
	if (!rc)
		rc = find_tables(&sc);
	if (rc) {
		tr_strv_free(sc.names, sc.n_names);
	} else {
		*names = sc.names;
		*n = sc.n_names;
	}
	free(sc.t.v);
	free(sc.match);
	free(sc.enclosing);
	free(sc.ctes);
	return rc;
}
