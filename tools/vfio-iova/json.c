// SPDX-License-Identifier: GPL-2.0
/*
 * A small, strict JSON reader (RFC 8259 values, no extensions) for the
 * files vfio-iova writes, and the one writer helper it needs.  Nesting is
 * bounded, every allocation is checked, and any error names its offset.
 */
#include <stdlib.h>
#include <string.h>
#include "vfio-iova.h"

#define MAX_DEPTH 64

struct parser {
	const char *s, *p;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "JSON: %s at offset %zu", what,
			 (size_t)(ps->p - ps->s));
	ps->failed = 1;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

void json_free(struct jv *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nr; i++)
		json_free(v->kids[i]);
	free(v->kids);
	free(v->str);
	free(v->key);
	free(v);
}

static int add_kid(struct jv *v, struct jv *kid)
{
	struct jv **k = realloc(v->kids, (v->nr + 1) * sizeof(*k));

	if (!k)
		return -1;
	v->kids = k;
	v->kids[v->nr++] = kid;
	return 0;
}

/* A string's contents; \u escapes outside ASCII become '?', enough here. */
static char *parse_string(struct parser *ps)
{
	size_t cap = 16, n = 0;
	char *out = malloc(cap);

	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	ps->p++;	/* opening quote */
	for (;;) {
		char c = *ps->p;

		if (!c) {
			fail(ps, "unterminated string");
			break;
		}
		if ((unsigned char)c < 0x20) {
			fail(ps, "control character in string");
			break;
		}
		ps->p++;
		if (c == '"') {
			out[n] = 0;
			return out;
		}
		if (c == '\\') {
			static const char pairs[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
			char e = *ps->p;
			const char *map;

			if (!e) {
				fail(ps, "unterminated string");
				break;
			}
			ps->p++;
			map = strchr(pairs, e);

			if (e == 'u') {
				unsigned int cp = 0;
				int i;

				for (i = 0; i < 4; i++) {
					char h = ps->p[i];

					if (h >= '0' && h <= '9')
						cp = cp * 16 + (h - '0');
					else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
						cp = cp * 16 + ((h | 0x20) - 'a' + 10);
					else
						break;
				}
				if (i < 4) {
					fail(ps, "bad \\u escape");
					break;
				}
				c = cp < 0x80 ? (char)cp : '?';
				ps->p += 4;
			} else if (map && (map - pairs) % 2 == 0) {
				c = map[1];
			} else {
				fail(ps, "bad escape in string");
				break;
			}
		}
		if (n + 1 >= cap) {
			char *o = realloc(out, cap *= 2);

			if (!o) {
				fail(ps, "out of memory");
				break;
			}
			out = o;
		}
		out[n++] = c;
	}
	free(out);
	return NULL;
}

static struct jv *parse_value(struct parser *ps, int depth)
{
	struct jv *v;

	skip_ws(ps);
	if (depth > MAX_DEPTH) {
		fail(ps, "nested too deeply");
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		fail(ps, "out of memory");
		return NULL;
	}
	if (*ps->p == '{' || *ps->p == '[') {
		char close = *ps->p == '{' ? '}' : ']';

		v->type = close == '}' ? J_OBJ : J_ARR;
		ps->p++;
		skip_ws(ps);
		if (*ps->p == close) {
			ps->p++;
			return v;
		}
		for (;;) {
			char *key = NULL;
			struct jv *kid;

			skip_ws(ps);
			if (v->type == J_OBJ) {
				if (*ps->p != '"') {
					fail(ps, "expected a member name");
					break;
				}
				key = parse_string(ps);
				if (!key)
					break;
				skip_ws(ps);
				if (*ps->p != ':') {
					free(key);
					fail(ps, "expected ':'");
					break;
				}
				ps->p++;
			}
			kid = parse_value(ps, depth + 1);
			if (!kid) {
				free(key);
				break;
			}
			kid->key = key;
			if (add_kid(v, kid)) {
				json_free(kid);
				fail(ps, "out of memory");
				break;
			}
			skip_ws(ps);
			if (*ps->p == ',') {
				ps->p++;
				continue;
			}
			if (*ps->p == close) {
				ps->p++;
				return v;
			}
			fail(ps, v->type == J_OBJ ? "expected ',' or '}'" : "expected ',' or ']'");
			break;
		}
	} else if (*ps->p == '"') {
		v->type = J_STR;
		v->str = parse_string(ps);
		if (v->str)
			return v;
	} else if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
		v->type = J_BOOL;
		v->boolean = *ps->p == 't';
		ps->p += v->boolean ? 4 : 5;
		return v;
	} else if (!strncmp(ps->p, "null", 4)) {
		ps->p += 4;
		return v;
	} else if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
		const char *q = ps->p;
		size_t n;

		q += *q == '-';
		if (!(*q >= '0' && *q <= '9')) {
			fail(ps, "bad number");
			goto out;
		}
		while (*q && strchr("0123456789.eE+-", *q))
			q++;
		n = q - ps->p;
		v->type = J_NUM;
		v->str = strndup(ps->p, n);
		ps->p = q;
		if (v->str)
			return v;
		fail(ps, "out of memory");
	} else {
		fail(ps, *ps->p ? "unexpected character" : "unexpected end");
	}
out:
	json_free(v);
	return NULL;
}

struct jv *json_parse(const char *text, char *err, size_t errlen)
{
	struct parser ps = { .s = text, .p = text, .err = err, .errlen = errlen };
	struct jv *v = parse_value(&ps, 0);

	if (v) {
		skip_ws(&ps);
		if (*ps.p) {
			fail(&ps, "trailing data");
			json_free(v);
			v = NULL;
		}
	}
	return v;
}

const struct jv *json_get(const struct jv *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (i = 0; i < obj->nr; i++)
		if (obj->kids[i]->key && !strcmp(obj->kids[i]->key, key))
			return obj->kids[i];
	return NULL;
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}
