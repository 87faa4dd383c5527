// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-iova plan: QEMU options for a VM whose memory map fits the valid IOVA
 * ranges, so that every vfio-pci device of those ranges can be assigned at
 * start and hot-plugged later.
 *
 * What has to fit: everything QEMU maps into the container (guest RAM and
 * firmware), the region hot-plugged DIMMs go to (QEMU 7.2 aborts a running
 * VM whose new DIMM it cannot map), and the 64-bit PCI window (the BARs of
 * assigned devices, mapped for peer-to-peer).
 *
 * A model of QEMU's PC layout chooses the knobs: max-ram-below-4g when a hole
 * lies in the RAM below 4 GiB, a smaller 64-bit PCI window when the window
 * runs into the end of the aperture.  The model only proposes: QEMU itself,
 * started paused with the proposed options and no device, says where each
 * region lies ("info mtree" and the host bridge's properties over QMP), and
 * that memory map is what gets checked.  Guest RAM is a memory backend with
 * reserve=off, so a 2 TiB plan starts on a small machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "vfio-iova.h"

#define SZ_4G (4ULL << 30)
#define ABOVE_1T 0x10000000000ULL	/* where QEMU moves RAM clear of the HT range */
#define RAM_ID "vfio-iova-ram"
#define MAX_REGIONS 64
#define QEMU_SECONDS 60

enum region_kind { R_LOW, R_HIGH, R_HOTPLUG, R_PCI64, R_OTHER };

struct region {
	u64 start, last;
	enum region_kind kind;
	char what[48];
};

struct layout {
	struct region r[MAX_REGIONS];
	int nr;
};

/* What the plan may change: 0 is QEMU's default. */
struct knobs {
	u64 below_4g, pci64;
};

static const char *const kind_names[] = {
	[R_LOW] = "RAM below 4 GiB", [R_HIGH] = "RAM above 4 GiB",
	[R_HOTPLUG] = "hot-pluggable memory", [R_PCI64] = "64-bit PCI window",
	[R_OTHER] = "",
};

static void add(struct layout *l, enum region_kind kind, u64 start, u64 size, const char *what)
{
	struct region *r;

	if (!size || l->nr == MAX_REGIONS)
		return;
	r = &l->r[l->nr++];
	r->start = start;
	r->last = start + size - 1;
	r->kind = kind;
	snprintf(r->what, sizeof(r->what), "%s", what ? what : kind_names[kind]);
}

/* Appends to the message in @buf. */
static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strnlen(buf, len);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static u64 round_up_1g(u64 x)
{
	return (x + SZ_1G - 1) & ~(SZ_1G - 1);
}

static u64 pci64_size(const struct vm_shape *s, const struct knobs *k)
{
	if (k->pci64)
		return k->pci64;
	if (s->pci64_given)
		return s->pci64;
	return s->machine == VM_Q35 ? 32 * SZ_1G : 2 * SZ_1G;	/* QEMU's defaults */
}

/* The highest address the VM uses, and the AMD relocation: as QEMU's pc.c. */
static u64 below_4g(const struct vm_shape *s, const struct knobs *k)
{
	u64 low;

	if (s->machine == VM_Q35)
		low = s->ram >= 0xb0000000ULL ? 0x80000000ULL : 0xb0000000ULL;
	else
		low = s->ram >= 0xe0000000ULL ? 0xc0000000ULL : 0xe0000000ULL;
	if (k->below_4g && k->below_4g < low)
		low = k->below_4g;
	return low < s->ram ? low : s->ram;
}

/* QEMU's PC memory map, as far as the plan's knobs move it. */
static void model_pc(const struct vm_shape *s, const struct knobs *k, struct layout *l)
{
	u64 low = below_4g(s, k), above = s->ram - low, start = SZ_4G;
	u64 hp = s->hotplug ? s->hotplug + s->slots * SZ_1G : 0;
	u64 end, hole64, size = pci64_size(s, k);
	int pass;

	/* QEMU moves RAM to 1 TiB for an AMD vCPU whose map reaches the HT range. */
	for (pass = 0; pass < 2; pass++) {
		end = start + above;	/* also with no RAM above 4 GiB: QEMU's pc.c */
		hole64 = round_up_1g(hp ? round_up_1g(end) + hp : end);
		if (pass || !s->amd || hole64 + size - 1 < HT_START)
			break;
		start = ABOVE_1T;
	}
	l->nr = 0;
	add(l, R_LOW, 0, low, NULL);
	add(l, R_HIGH, start, above, NULL);
	add(l, R_HOTPLUG, round_up_1g(end), hp, NULL);
	add(l, R_PCI64, hole64, size, NULL);
}

static bool in_ht(u64 s, u64 l)
{
	return s <= HT_LAST && l >= HT_START;
}

/*
 * Turn the knobs until the model fits.  NULL, or why no plan fits (in
 * @why).  @changes gets one line per knob turned.
 */
static const char *search(const struct vm_shape *s, const struct iova_ranges *v,
			  struct knobs *k, struct layout *l, char *why, size_t len,
			  char changes[][160], int *nr_changes)
{
	char a[32], b[32], *ch;
	int tries, i;

	memset(k, 0, sizeof(*k));
	*nr_changes = 0;
	*why = 0;
	if (s->machine == VM_VIRT)
		return NULL;	/* nothing to turn: QEMU's map is checked as it is */
	for (tries = 0; tries < 8; tries++) {
		const struct region *r = NULL;
		u64 gs, ge, room;

		model_pc(s, k, l);
		for (i = 0; i < l->nr && !r; i++)
			if (iova_ranges_first_gap(v, l->r[i].start, l->r[i].last, &gs, &ge))
				r = &l->r[i];
		if (!r)
			return NULL;
		format_size(gs, ge, a, sizeof(a));
		switch (r->kind) {
		case R_LOW:
			room = gs & ~(2 * SZ_1M - 1);
			if (room < 16 * SZ_1M) {
				say(why, len, "the valid ranges leave less than 16 MiB of RAM");
				say(why, len, " below 4 GiB (QEMU's firmware needs more)");
				return why;
			}
			k->below_4g = room;
			format_size(0, room - 1, b, sizeof(b));
			ch = changes[(*nr_changes)++];
			*ch = 0;
			say(ch, 160, "RAM below 4 GiB: %s (max-ram-below-4g),", b);
			say(ch, 160, " clear of the hole 0x%llx-0x%llx;", gs, ge);
			say(ch, 160, " the rest goes above 4 GiB");
			continue;
		case R_PCI64:
			room = (gs - r->start) & ~(SZ_1G - 1);
			if (s->pci64_given || !room) {
				format_size(r->start, r->last, b, sizeof(b));
				say(why, len, "the %s of %s", kind_names[R_PCI64], b);
				say(why, len, " at 0x%llx", r->start);
				say(why, len, " runs into the hole 0x%llx-0x%llx (%s);", gs, ge, a);
				say(why, len, " at most %llu GiB fit there%s", room >> 30,
				    room ? "" : " (make RAM or hot-plug smaller)");
				return why;
			}
			k->pci64 = room;
			ch = changes[(*nr_changes)++];
			*ch = 0;
			say(ch, 160, "64-bit PCI window: %llu GiB instead of QEMU's %llu GiB",
			    room >> 30, pci64_size(s, &(struct knobs){ 0 }) >> 30);
			say(ch, 160, " (pci-hole64-size), to end before the hole at 0x%llx", gs);
			continue;
		default:
			format_size(r->start, r->last, b, sizeof(b));
			say(why, len, "the %s (%s at 0x%llx) runs into ", kind_names[r->kind], b,
			    r->start);
			if (!in_ht(gs, ge) || s->amd) {
				say(why, len, "the hole 0x%llx-0x%llx (%s):", gs, ge, a);
				say(why, len, " the VM is too large for these ranges");
				return why;
			}
			say(why, len, "the AMD HyperTransport range 0x%llx-0x%llx;", gs, ge);
			say(why, len, " QEMU places RAM above 1 TiB, clear of it,");
			say(why, len, " only for an AMD vCPU (--vendor amd), else at most");
			say(why, len, " %llu GiB of RAM above 4 GiB and hot-pluggable memory fit",
			    (gs - (r->kind == R_HIGH ? r->start : SZ_4G)) >> 30);
			return why;
		}
	}
	snprintf(why, len, "no plan found in %d steps", tries);
	return why;
}

/* The highest address of @l, at least @floor. */
static u64 highest(const struct layout *l, u64 floor)
{
	int i;

	for (i = 0; i < l->nr; i++)
		if (l->r[i].last > floor)
			floor = l->r[i].last;
	return floor;
}

/* The address bits a vCPU needs to reach @max: QEMU's default 40 at least. */
static int addr_bits(u64 max)
{
	int bits = 40;

	while (bits < 64 && max >> bits)
		bits++;
	return bits;
}

/* "8G", "1536M", "4096": QEMU's size syntax, exact. */
static void qsize(char *buf, size_t len, u64 x)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (u < 5 && x && !(x & ((1ULL << (10 * (u + 2))) - 1)))
		u++;
	if (u < 0)
		snprintf(buf, len, "%llu", x);
	else
		snprintf(buf, len, "%llu%c", x >> (10 * (u + 1)), units[u]);
}

/* The options a plan gives the user, and the command line that checks them. */
struct qemu_cmd {
	char opt[8][128];
	int nr_opt;
	char *argv[48];
	char store[16][128];
	int argc, used;
};

static char *keep(struct qemu_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *keep(struct qemu_cmd *c, const char *fmt, ...)
{
	char *p = c->store[c->used++];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(c->store[0]), fmt, ap);
	va_end(ap);
	return p;
}

static void build(const struct vm_shape *s, const struct knobs *k, u64 max_addr,
		  struct qemu_cmd *c)
{
	static const char *const fixed[] = {
		"-accel", "tcg", "-S", "-nodefaults", "-no-user-config", "-display", "none",
		"-qmp", "stdio", NULL
	};
	char ram[24], max[24], sz[24];
	int bits = addr_bits(max_addr), i;

	memset(c, 0, sizeof(*c));
	qsize(sz, sizeof(sz), k->below_4g);
	snprintf(c->opt[c->nr_opt++], sizeof(c->opt[0]), "-machine %s%s%s", s->machine_name,
		 k->below_4g ? ",max-ram-below-4g=" : "", k->below_4g ? sz : "");
	qsize(ram, sizeof(ram), s->ram);
	qsize(max, sizeof(max), s->ram + s->hotplug);
	if (s->hotplug)
		snprintf(c->opt[c->nr_opt++], sizeof(c->opt[0]), "-m %s,slots=%u,maxmem=%s", ram,
			 s->slots, max);
	else
		snprintf(c->opt[c->nr_opt++], sizeof(c->opt[0]), "-m %s", ram);
	if (s->machine != VM_VIRT && (k->pci64 || s->pci64_given)) {
		qsize(sz, sizeof(sz), pci64_size(s, k));
		snprintf(c->opt[c->nr_opt++], sizeof(c->opt[0]), "-global %s.pci-hole64-size=%s",
			 s->machine == VM_Q35 ? "q35-pcihost" : "i440FX-pcihost", sz);
	}

	/* The check: the same, paused, no device, RAM reserved lazily. */
	c->argv[c->argc++] = (char *)s->qemu;
	c->argv[c->argc++] = "-machine";
	c->argv[c->argc++] = keep(c, "%s,memory-backend=" RAM_ID, strchr(c->opt[0], ' ') + 1);
	c->argv[c->argc++] = "-m";
	c->argv[c->argc++] = strchr(c->opt[1], ' ') + 1;
	if (c->nr_opt > 2) {
		c->argv[c->argc++] = "-global";
		c->argv[c->argc++] = strchr(c->opt[2], ' ') + 1;
	}
	c->argv[c->argc++] = "-object";
	c->argv[c->argc++] = keep(c, "memory-backend-ram,id=" RAM_ID ",size=%s,reserve=off", ram);
	c->argv[c->argc++] = "-cpu";
	if (s->machine == VM_VIRT)
		c->argv[c->argc++] = "max";
	else
		c->argv[c->argc++] = keep(c, "qemu64,vendor=%s,phys-bits=%d",
					  s->amd ? "AuthenticAMD" : "GenuineIntel",
					  bits < 52 ? bits : 52);
	for (i = 0; fixed[i]; i++)
		c->argv[c->argc++] = (char *)fixed[i];
	c->argv[c->argc] = NULL;
}

/*
 * Run @c: send the QMP commands, read everything QEMU says (its messages
 * too: stderr goes to the same pipe) until it quits.  The text, or NULL
 * with a message in @err.
 */
static char *run_qemu(const struct qemu_cmd *c, bool x86, char *err, size_t len)
{
	/* One command a line, each with the id its reply carries. */
	static const char *const cmds[] = {
		"{\"execute\": \"qmp_capabilities\", \"id\": \"caps\"}",
		"{\"execute\": \"human-monitor-command\", \"id\": \"flat\", \"arguments\": {\"command-line\": \"info mtree -f\"}}",
		"{\"execute\": \"human-monitor-command\", \"id\": \"tree\", \"arguments\": {\"command-line\": \"info mtree\"}}",
		NULL
	};
	const char *bridge = strstr(c->argv[2], "q35") ? "q35" : "i440fx";
	int in[2], out[2], st, i;
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	FILE *f;
	pid_t pid;

	if (!buf || pipe(in) || pipe(out)) {
		snprintf(err, len, "%s", buf ? strerror(errno) : "out of memory");
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(in[1]);
		close(out[0]);
		alarm(QEMU_SECONDS);	/* kept across exec: a hung QEMU dies */
		execvp(c->argv[0], c->argv);
		dprintf(2, "cannot run %s: %s\n", c->argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	signal(SIGPIPE, SIG_IGN);
	f = fdopen(in[1], "w");
	if (f) {
		for (i = 0; cmds[i]; i++)
			fprintf(f, "%s\n", cmds[i]);
		for (i = 0; x86 && i < 2; i++) {
			fprintf(f, "{\"execute\": \"qom-get\", \"id\": \"h64%c\", ", "se"[i]);
			fprintf(f, "\"arguments\": {\"path\": \"/machine/%s\", ", bridge);
			fprintf(f, "\"property\": \"pci-hole64-%s\"}}\n", i ? "end" : "start");
		}
		fputs("{\"execute\": \"quit\", \"id\": \"quit\"}\n", f);
		fclose(f);
	}
	for (;;) {
		ssize_t got;

		if (n + 1 == cap) {
			char *more = cap < (64u << 20) ? realloc(buf, cap *= 2) : NULL;

			if (!more)
				break;
			buf = more;
		}
		got = read(out[0], buf + n, cap - n - 1);
		if (got <= 0)
			break;
		n += got;
	}
	buf[n] = 0;
	close(out[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		char *nl;

		/* QEMU's own words: its last line that is not QMP. */
		for (nl = buf + n; nl > buf && (nl[-1] == '\n' || nl[-1] == '\r'); nl--)
			*(nl - 1) = 0;
		nl = strrchr(buf, '\n');
		snprintf(err, len, "%s %s: %s", c->argv[0],
			 pid < 0 ? "did not start" : WIFSIGNALED(st) ? "was killed" : "failed",
			 nl ? nl + 1 : *buf ? buf : "no message");
		free(buf);
		return NULL;
	}
	return buf;
}

/* The reply to command @id, or NULL. */
static json_t *reply(json_t **replies, int nr, const char *id)
{
	int i;

	for (i = 0; i < nr; i++) {
		const char *v = json_string_value(json_object_get(replies[i], "id"));

		if (v && !strcmp(v, id))
			return json_object_get(replies[i], "return");
	}
	return NULL;
}

/* A line of "info mtree": START-END (prio P, KIND): NAME. */
static bool mtree_line(const char *line, u64 *s, u64 *l, char *kind, char *name)
{
	unsigned long long a, b;
	int prio;

	return sscanf(line, " %llx-%llx (prio %d, %15[^)]): %47s", &a, &b, &prio, kind,
		      name) == 5 && a <= b && (*s = a, *l = b, true);
}

/*
 * The memory map QEMU laid out: what it maps (RAM and ROM of the "memory"
 * address space's flat view; pieces of one region joined), the region
 * hot-plugged DIMMs go to, the 64-bit PCI window.
 */
static int parse_layout(char *text, bool x86, struct layout *lay, char *version, size_t vlen,
			char *err, size_t len)
{
	json_t *replies[16], *h64s, *h64e, *v;
	const char *flat, *tree;
	int nr = 0, ret = -1;
	char *line, *save, kind[16], name[48], *flat_text = NULL, *tree_text = NULL;
	bool in_memory = false, seen = false, hp = false, hi = false;
	u64 s, l;

	snprintf(version, vlen, "?");
	for (line = strtok_r(text, "\n", &save); line && nr < 16;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *j = line[0] == '{' ? json_read(line, err, len) : NULL;
		json_int_t ver[3];

		if (!j)
			continue;
		v = json_object_get(json_object_get(j, "QMP"), "version");
		if (!json_unpack(v, "{s:{s:I,s:I,s:I}}", "qemu", "major", &ver[0], "minor",
				 &ver[1], "micro", &ver[2]))
			snprintf(version, vlen, "%lld.%lld.%lld", ver[0], ver[1], ver[2]);
		replies[nr++] = j;
	}
	flat = json_string_value(reply(replies, nr, "flat"));
	tree = json_string_value(reply(replies, nr, "tree"));
	flat_text = flat ? strdup(flat) : NULL;
	tree_text = tree ? strdup(tree) : NULL;
	if (!flat_text || !tree_text) {
		snprintf(err, len, "QEMU did not answer \"info mtree\"");
		goto out;
	}
	lay->nr = 0;
	for (line = strtok_r(flat_text, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		struct region *last = lay->nr ? &lay->r[lay->nr - 1] : NULL;

		if (!strncmp(line, "FlatView", 8)) {
			seen |= in_memory;
			in_memory = false;
		} else if (!seen && strstr(line, " AS \"memory\",")) {
			in_memory = true;
		} else if (in_memory && mtree_line(line, &s, &l, kind, name) &&
			   (!strcmp(kind, "ram") || !strcmp(kind, "rom"))) {
			if (!strcmp(name, RAM_ID))
				snprintf(name, sizeof(name), "RAM");
			if (last && last->kind == R_OTHER && last->last + 1 == s &&
			    !strcmp(last->what, name))
				last->last = l;
			else
				add(lay, R_OTHER, s, l - s + 1, name);
		}
	}
	for (line = strtok_r(tree_text, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		if (!mtree_line(line, &s, &l, kind, name))
			continue;
		/* Both once: the tree repeats for each address space. */
		if (!hp && !strcmp(name, "device-memory")) {
			add(lay, R_HOTPLUG, s, l - s + 1, NULL);
			hp = true;
		} else if (!x86 && !hi && !strcmp(name, "alias") &&
			   strstr(line, "pcie-mmio-high")) {
			add(lay, R_PCI64, s, l - s + 1, NULL);
			hi = true;
		}
	}
	h64s = reply(replies, nr, "h64s");
	h64e = reply(replies, nr, "h64e");
	if (x86 && (!json_is_integer(h64s) || !json_is_integer(h64e))) {
		snprintf(err, len, "QEMU did not tell where the 64-bit PCI window is");
		goto out;
	}
	if (x86) {
		s = json_integer_value(h64s);
		l = json_integer_value(h64e);
		if (l > s)
			add(lay, R_PCI64, s, l - s, NULL);
	}
	ret = 0;
out:
	free(flat_text);
	free(tree_text);
	while (nr)
		json_decref(replies[--nr]);
	return ret;
}

int qmp_memory_map(char *text, bool x86, char *err, size_t len)
{
	static struct layout lay;
	char version[32];

	return parse_layout(text, x86, &lay, version, sizeof(version), err, len) ? -1 : lay.nr;
}

static json_t *jstr_array(char list[][160], int nr)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < nr; i++)
		jadd(a, jstr(list[i]));
	return a;
}

int cmd_plan(const struct vm_shape *s, const struct iova_ranges *valid, bool known,
	     bool assume_full, const char *source, bool as_json)
{
	static struct layout model, real;
	char why[400] = "", err[400] = "", version[32], changes[8][160], notes[4][160];
	char size[32], ram[32], hp[32];
	const char *no_plan;
	struct qemu_cmd c;
	struct knobs k;
	int nr_changes, nr_notes = 0, status, bits, i;
	bool x86 = s->machine != VM_VIRT;
	u64 max_addr;
	char *text;

	no_plan = search(s, valid, &k, &model, why, sizeof(why), changes, &nr_changes);
	max_addr = highest(&model, 0);
	build(s, &k, max_addr, &c);
	if (!no_plan) {
		text = run_qemu(&c, x86, err, sizeof(err));
		if (!text || parse_layout(text, x86, &real, version, sizeof(version), err,
					  sizeof(err))) {
			free(text);
			fprintf(stderr, "vfio-iova: plan: %s: %s\n",
				"QEMU could not lay out the plan", err);
			return 2;
		}
		free(text);
		for (i = real.nr - 1; i >= 0; i--) {
			const struct region *r = &real.r[i];
			u64 gs, ge;

			if (!iova_ranges_first_gap(valid, r->start, r->last, &gs, &ge))
				continue;
			/* The first one named: the model did not see it coming. */
			*why = 0;
			say(why, sizeof(why), "QEMU puts %s at 0x%llx-0x%llx,", r->what, r->start,
			    r->last);
			say(why, sizeof(why), " into the hole 0x%llx-0x%llx,", gs, ge);
			say(why, sizeof(why), " and no option of the plan moves it");
			no_plan = why;
		}
	}
	max_addr = highest(&real, max_addr);
	bits = addr_bits(max_addr);
	if (x86 && bits > 40)
		snprintf(notes[nr_notes++], sizeof(notes[0]),
			 "the vCPU needs an address width of %d bits or more (QEMU's %s)", bits,
			 "phys-bits; -cpu host has the host's");
	if (x86 && s->amd && !no_plan && real.nr && max_addr >= ABOVE_1T &&
	    !iova_ranges_contains(valid, HT_START, HT_LAST))
		snprintf(notes[nr_notes++], sizeof(notes[0]),
			 "an AMD vCPU model keeps RAM clear of the HyperTransport range %s",
			 "(QEMU 7.1 or later, machine type 7.1 or later)");
	status = no_plan ? 1 : !known && !assume_full ? 3 : 0;

	format_size(0, s->ram - 1, ram, sizeof(ram));
	format_size(0, s->hotplug - 1, hp, sizeof(hp));
	if (as_json) {
		json_t *doc = json_object(), *opts = json_array(), *regions = json_array();

		jset(doc, "fits", no_plan ? json_false() : status ? json_null() : json_true());
		jset(doc, "aperture_known", json_boolean(known));
		jset(doc, "machine", jstr(s->machine_name));
		jset(doc, "ram", jhex(s->ram));
		jset(doc, "hotplug", jhex(s->hotplug));
		jset(doc, "vendor", json_string(x86 ? s->amd ? "amd" : "intel" : "arm"));
		for (i = 0; i < c.nr_opt && !no_plan; i++)
			jadd(opts, jstr(c.opt[i]));
		jset(doc, "options", opts);
		jset(doc, "changes", jstr_array(changes, nr_changes));
		jset(doc, "notes", jstr_array(notes, nr_notes));
		jset(doc, "why", no_plan ? jstr(no_plan) : json_null());
		jset(doc, "qemu", jstr(real.nr ? version : ""));
		for (i = 0; i < real.nr; i++) {
			const struct region *r = &real.r[i];
			json_t *o = json_object();

			jset(o, "what", jstr(r->what));
			jset(o, "start", jhex(r->start));
			jset(o, "last", jhex(r->last));
			jset(o, "fits",
			     json_boolean(iova_ranges_contains(valid, r->start, r->last)));
			jadd(regions, o);
		}
		jset(doc, "regions", regions);
		json_print(doc);
		return status;
	}
	printf("A %s VM with %s of RAM%s%s%s, against the valid IOVA ranges of %s:\n",
	       s->machine_name, ram, s->hotplug ? " and " : "", s->hotplug ? hp : "",
	       s->hotplug ? " hot-pluggable" : "", source);
	if (no_plan && !real.nr) {
		printf("No plan fits: %s.\n", no_plan);
		return status;
	}
	printf("QEMU options:\n");
	for (i = 0; i < c.nr_opt; i++)
		printf("  %s\n", c.opt[i]);
	if (nr_changes)
		printf("Changed from QEMU's defaults:\n");
	for (i = 0; i < nr_changes; i++)
		printf("  %s\n", changes[i]);
	printf("Memory map, as QEMU %s lays it out with these options:\n", version);
	for (i = 0; i < real.nr; i++) {
		const struct region *r = &real.r[i];
		u64 gs, ge;

		format_size(r->start, r->last, size, sizeof(size));
		printf("  0x%016llx  0x%016llx  %-10s %-22s %s\n", r->start, r->last, size,
		       r->what, iova_ranges_first_gap(valid, r->start, r->last, &gs, &ge) ?
		       "COLLIDES" : "fits");
	}
	for (i = 0; i < nr_notes; i++)
		printf("Note: %s.\n", notes[i]);
	if (no_plan)
		printf("No plan fits: %s.\n", no_plan);
	else if (status == 3)
		printf("%s: accept the full 64-bit space with --assume-full-aperture.\n",
		       "The plan fits the reserved regions, but the IOMMU aperture is unknown");
	else
		printf("The plan fits: every region lies in the valid ranges.\n");
	return status;
}
