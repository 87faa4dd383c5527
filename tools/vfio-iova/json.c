// SPDX-License-Identifier: GPL-2.0
/*
 * JSON in and out, through jansson: the documents vfio-iova writes (one
 * line each, members in the order given), the ones it reads back (the
 * "valid" ranges of host, merge and ranges output) and QEMU's QMP answers.
 */
#include <stdlib.h>
#include <string.h>
#include "vfio-iova.h"

/* A builder failed (out of memory): json_print() refuses the document. */
static bool build_failed;

json_t *json_read(const char *text, char *err, size_t errlen)
{
	json_error_t e;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &e);

	if (!doc)
		snprintf(err, errlen, "JSON: %s (line %d, column %d)", e.text, e.line, e.column);
	return doc;
}

void jset(json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new(obj, key, v))
		build_failed = true;
}

void jadd(json_t *arr, json_t *v)
{
	if (json_array_append_new(arr, v))
		build_failed = true;
}

json_t *jhex(u64 v)
{
	return json_sprintf("0x%llx", v);
}

json_t *jrange(u64 start, u64 last)
{
	json_t *o = json_object();

	jset(o, "start", jhex(start));
	jset(o, "last", jhex(last));
	return o;
}

json_t *jranges(const struct iova_ranges *r)
{
	json_t *a = json_array();
	u32 i;

	for (i = 0; i < r->nr; i++)
		jadd(a, jrange(r->v[i].start, r->v[i].last));
	return a;
}

/* JSON strings are Unicode: bytes that are not UTF-8 are written escaped. */
json_t *jstr(const char *s)
{
	char buf[1024];
	json_t *v = json_string(s);

	if (v || !s)
		return v;
	escape(buf, sizeof(buf), s, strlen(s), sizeof(buf) / 4 - 4, true);
	return json_string(buf);
}

json_t *juint(unsigned long long v)
{
	return json_integer((json_int_t)v);
}

void json_print(json_t *doc)
{
	bool ok = !build_failed && doc && !json_dumpf(doc, stdout, JSON_PRESERVE_ORDER) &&
		  putchar('\n') != EOF;

	json_decref(doc);
	build_failed = false;
	if (!ok) {
		fprintf(stderr, "vfio-iova: cannot write the JSON output: out of memory\n");
		exit(2);
	}
}

/* A string "0x..." (or any size parse_size() takes) as a number. */
static int hex_member(const json_t *obj, const char *key, u64 *out)
{
	const char *s = json_string_value(json_object_get(obj, key)), *end;

	return s && !parse_size(s, &end, out) && !*end ? 0 : -1;
}

int json_valid_ranges(const char *text, struct iova_ranges *out, bool *known, char *host,
		      size_t hlen, char *err, size_t errlen)
{
	struct range_list list = { NULL, 0, 0 };
	json_t *doc = json_read(text, err, errlen), *valid, *k, *v;
	int ret = -1;
	size_t i;

	if (!doc)
		return -1;
	valid = json_object_get(doc, "valid");
	if (!json_is_array(valid)) {
		snprintf(err, errlen, "no \"valid\" array: not vfio-iova JSON output");
		goto out;
	}
	json_array_foreach(valid, i, v) {
		u64 s, l;

		if (hex_member(v, "start", &s) || hex_member(v, "last", &l) || s > l) {
			snprintf(err, errlen, "\"valid\" entry %zu: %s", i,
				 "not {\"start\": \"0x..\", \"last\": \"0x..\"} with start <= last");
			goto out;
		}
		if (range_list_add(&list, s, l))
			goto oom;
	}
	k = json_object_get(doc, "aperture_known");
	if (k && !json_is_boolean(k)) {
		snprintf(err, errlen, "\"aperture_known\" is neither true nor false");
		goto out;
	}
	*known = true;
	if (k) {
		*known = json_is_true(k);
	} else {
		/* Written without the field: a group of unknown aperture tells. */
		json_array_foreach(json_object_get(doc, "groups"), i, v) {
			const char *src = json_string_value(json_object_get(v, "aperture_source"));

			if (src && !strcmp(src, "unknown"))
				*known = false;
		}
	}
	if (iova_ranges_union(out, list.v, list.nr))
		goto oom;
	snprintf(host, hlen, "%s", json_string_value(json_object_get(doc, "host")) ?: "");
	ret = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	range_list_free(&list);
	json_decref(doc);
	return ret;
}
