// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: the guest-side test program.
 *
 *   vfio-tests run --backend MODULE --group N --device BDF
 *                  [--group2 N --device2 BDF] [--mdev-group N --mdev-uuid UUID]
 *                  --out FILE
 *	Run every case against whichever backend is loaded now.  Each case
 *	records observations (ioctl results, errnos) and its own assertions.
 *	MODULE is the backend expected to answer VFIO_SET_IOMMU.
 *   vfio-tests list-cases
 *	Every case, with the result files it must appear in.
 *   vfio-tests collision-addr --group N [--low]
 *	Where a VM's memory device would collide with what the group's IOMMU
 *	can map (see cmd_collision_addr()).
 *   vfio-tests last-valid --group N
 *	The last valid IOVA of the group's container.
 *   vfio-tests ranges|holes --group N
 *	Its valid ranges, or the ranges between them, "0xSTART-0xLAST" a line.
 *   vfio-tests fuzz --group N ... (see fuzz.c)
 *	Random ioctls from several processes and threads; no leak after.
 *   vfio-tests rmmod-refused --group N MODULE
 *	MODULE cannot be removed while a container it serves exists.
 *   vfio-tests faults --backend MODULE --group N --group2 M (see faults.c)
 *	SIGKILL during a map, owner exit, an unprivileged user, limits
 *	under concurrency.
 *   vfio-tests hotunplug --backend MODULE --device BDF --out FILE
 *	The device is unplugged through the outer QEMU's monitor while its
 *	group is attached, then plugged back (see hotplug.c).
 *   vfio-tests replug --device BDF
 *	Unplug the unused device and plug it back.
 *   vfio-tests unplug-race --device BDF --cycles N
 *	Unplug and plug back the device while another process attaches its
 *	group in a loop (see hotplug.c).
 *   vfio-tests inject --group N --device BDF [--group2 M]
 *                     [--mdev-group G --mdev-uuid UUID]
 *	Failures injected one at a time into the test build of our module
 *	(see inject.c).
 *   vfio-tests hold-refusal GROUP range|memlock
 *	A container with a refused map, kept until stdin closes (for the
 *	tool's "why"; see cmd_hold_refusal()).
 *   vfio-tests klog-has A B
 *	Exit 0 if a kernel log line contains both A and B.
 *   vfio-tests compare STOCK_FILE OURS_FILE [ALLOWED_DIFFS_FILE [LINE]]
 *	Print TAP: each case's assertions under each backend, then whether the
 *	observations agree (the differential run), allowing only the documented
 *	differences listed in ALLOWED_DIFFS_FILE (lines "allow CASE KEY [LINE...]
 *	: VALUE", on the kernel lines named, or on every line, and only where
 *	ours observed VALUE).
 *
 * A result file has one line per case:
 *	case NAME ok|fail REASON
 *	obs NAME KEY VALUE
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "vt.h"

static const struct {
	const char *name;
	void (*fn)(struct ctx *t);
} cases[] = {
	{ "set-iommu-type1v2", case_set_iommu_type1v2 },
	{ "set-iommu-type1", case_set_iommu_type1 },
	{ "extensions", case_extensions },
	{ "nesting", case_nesting },
	{ "get-info", case_get_info },
	{ "map-args", case_map_args },
	{ "map-ranges", case_map_ranges },
	{ "unmap-type1v2", case_unmap_v2 },
	{ "unmap-type1", case_unmap_v1 },
	{ "unmap-all", case_unmap_all },
	{ "top-of-address-space", case_top_of_space },
	{ "dma-entry-limit", case_dma_entry_limit },
	{ "memlock-unprivileged", case_memlock },
	{ "memlock-cap-ipc-lock", case_memlock_cap },
	{ "owner-exit", case_owner_exit },
	{ "disable-hugepages", case_disable_hugepages },
	{ "edu-dma", case_edu_dma },
	{ "edu-msi", case_edu_msi },
	{ "two-groups", case_two_groups },
	{ "unsafe-interrupts", case_unsafe_interrupts },
	{ "attach-conflict", case_attach_conflict },
	{ "emulated-pin", case_emulated_pin },
	{ "emulated-pin-type1", case_emulated_pin_v1 },
	{ "emulated-accounting", case_emulated_accounting },
	{ "emulated-pin-top", case_emulated_pin_top },
	{ "vaddr-io-mixedmap", case_vaddr_io_mixedmap },
	{ "update-vaddr", case_update_vaddr },
	{ "update-vaddr-emulated", case_update_vaddr_emulated },
	{ "update-vaddr-type1", case_update_vaddr_type1 },
	{ "update-vaddr-abandoned", case_update_vaddr_abandoned },
	{ "vaddr-pfnmap", case_vaddr_pfnmap },
	{ "accounting-shared", case_accounting_shared },
	{ "dirty-pages", case_dirty_pages },
	{ "dirty-pages-emulated", case_dirty_pages_emulated },
	{ "dirty-pinned-before-start", case_dirty_pinned_before_start },
	{ "ours-introspection", case_ours_introspection },
	{ "ours-busy-container", case_ours_busy_container },
	{ "ours-two-domains", case_ours_two_domains },
	{ "ours-emulated-stubborn", case_ours_emulated_stubborn },
	{ "coexist-selection", case_coexist_selection },
	/* Last: after every other case. */
	{ "ours-vmlck-zero", case_ours_vmlck_zero },
};

#define NCASES ARRAY_SIZE(cases)

/*
 * Ours-only cases that run a differential case's code under another
 * setting of ours: their observations must equal the stock backend's of
 * the twin (ours with two domains answers as stock with one).
 */
static const char *twin_of(const char *name)
{
	if (!strcmp(name, "ours-two-domains"))
		return "two-groups";
	return NULL;
}

/*
 * Cases that test what only our backend does: no differential.  "coexist-"
 * cases run in a phase of their own, with both backends loaded
 * (VFIO_TESTS_PHASE=coexist), and only then.
 */
static int in_coexist_phase(const char *name)
{
	return !strncmp(name, "coexist-", 8);
}

static int ours_only(const char *name)
{
	return !strncmp(name, "ours-", 5) || in_coexist_phase(name);
}

static int cmd_run(int argc, char **argv)
{
	struct ctx t = { .group = -1, .group2 = -1, .mdev_group = -1 };
	const char *out = NULL, *only = getenv("VFIO_TESTS_ONLY");
	const char *phase = getenv("VFIO_TESTS_PHASE");
	size_t i;

	for (i = 2; i + 1 < (size_t)argc; i += 2) {
		if (!strcmp(argv[i], "--backend"))
			t.backend = argv[i + 1];
		else if (!strcmp(argv[i], "--group"))
			t.group = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--device"))
			t.device = argv[i + 1];
		else if (!strcmp(argv[i], "--group2"))
			t.group2 = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--device2"))
			t.device2 = argv[i + 1];
		else if (!strcmp(argv[i], "--mdev-group"))
			t.mdev_group = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--mdev-uuid"))
			t.mdev_uuid = argv[i + 1];
		else if (!strcmp(argv[i], "--out"))
			out = argv[i + 1];
	}
	if (!t.backend || t.group < 0 || !t.device || !out) {
		fprintf(stderr,
			"usage: vfio-tests run --backend MODULE --group N --device BDF --out FILE\n");
		return 2;
	}
	t.out = fopen(out, "w");
	if (!t.out) {
		perror(out);
		return 2;
	}
	for (i = 0; i < NCASES; i++) {
		if (only && strcmp(only, cases[i].name))
			continue;
		if (ours_only(cases[i].name) && strcmp(t.backend, "vfio_iommu_iova"))
			continue;
		if (in_coexist_phase(cases[i].name) != (phase && !strcmp(phase, "coexist")))
			continue;
		t.name = cases[i].name;
		t.why[0] = 0;
		cases[i].fn(&t);
		/* The harness's own check: a broken test must fail the run. */
		if (getenv("VFIO_TESTS_BREAK") && !strcmp(getenv("VFIO_TESTS_BREAK"), t.name))
			CHECK(&t, 0, "deliberately broken (VFIO_TESTS_BREAK)");
		fflush(t.out);
		fprintf(t.out, "case %s %s %s\n", t.name, t.why[0] ? "fail" : "ok",
			t.why[0] ? t.why : "-");
	}
	return fclose(t.out) ? 2 : 0;
}

/* ---- compare ---------------------------------------------------------- */

/* One line of a result file; val is the whole rest of the line. */
struct line {
	char kind[8], name[64], key[64];
	char *val;
};

struct file {
	struct line *l;
	size_t n;
};

/*
 * Read a result (or allowed-diffs) file.  Values are kept whole, however
 * long (a GET_INFO reply in hex is kilobytes): a comparison of prefixes
 * would miss a difference at their end.  A kind, case name or key too long
 * for its field stops the comparison rather than being cut.
 */
static int load(const char *path, struct file *f)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *in = fopen(path, "r");
	int w[3], v;

	if (!in) {
		perror(path);
		return -1;
	}
	f->l = NULL;
	f->n = 0;
	while (getline(&buf, &cap, in) >= 0) {
		struct line *l;

		f->l = realloc(f->l, (f->n + 1) * sizeof(*f->l));
		if (!f->l)
			exit(2);
		l = &f->l[f->n];
		memset(l, 0, sizeof(*l));
		buf[strcspn(buf, "\n")] = 0;
		memset(w, 0, sizeof(w));
		v = 0;
		if (sscanf(buf, " %n%*s %n%*s %n%*s %n", &w[0], &w[1], &w[2], &v) < 0 || !v)
			continue;	/* fewer than three words */
		if (strncmp(buf + w[0], "case ", 5) && strncmp(buf + w[0], "obs ", 4) &&
		    strncmp(buf + w[0], "allow ", 6))
			continue;	/* not a result line (a comment, stray output) */
		if (sscanf(buf, "%7s %63s %63s", l->kind, l->name, l->key) != 3 ||
		    w[1] - w[0] > 8 || w[2] - w[1] > 64 || v - w[2] > 64) {
			fprintf(stderr, "%s: a word too long in: %.80s\n", path, buf);
			exit(2);
		}
		l->val = strdup(buf + v);
		if (!l->val)
			exit(2);
		f->n++;
	}
	free(buf);
	fclose(in);
	return 0;
}

static void unload(struct file *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->l[i].val);
	free(f->l);
}

static const char *find(const struct file *f, const char *kind, const char *name,
			const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->l[i].kind, kind) && !strcmp(f->l[i].name, name) &&
		    (!key || !strcmp(f->l[i].key, key)))
			return kind[0] == 'c' ? f->l[i].key : f->l[i].val;
	return NULL;
}

/*
 * The word ":" between an allowed difference's kernel lines and ours' value
 * in @list (what follows "allow CASE KEY"), or NULL.
 */
static const char *ours_sep(const char *list)
{
	const char *p = strstr(list, " : ");

	if (!strncmp(list, ": ", 2))
		return list;
	return p ? p + 1 : NULL;
}

/*
 * Does @list (kernel lines separated by blanks, up to ":" or its end;
 * none: every line) hold @line?
 */
static int on_line(const char *list, const char *line)
{
	const char *end = ours_sep(list) ?: list + strlen(list);
	size_t len = strlen(line);
	const char *p = list;

	p += strspn(p, " ");
	if (p >= end)
		return 1;
	for (; p < end; p += strcspn(p, " "), p += strspn(p, " "))
		if (!strncmp(p, line, len) && (p[len] == ' ' || !p[len]))
			return 1;
	return 0;
}

/*
 * The value our backend must show where a difference in observation @key
 * of case @name is documented for kernel line @line ("" if the line names
 * none), or NULL if it is not documented.  Lines "allow CASE KEY [LINE...]
 * : VALUE": on the lines named only (every line if none), and only with
 * VALUE as ours' observation.
 */
static const char *allowed(const struct file *a, const char *name, const char *key,
			   const char *line)
{
	const char *sep;
	size_t i;

	for (i = 0; a && i < a->n; i++)
		if (!strcmp(a->l[i].kind, "allow") && !strcmp(a->l[i].name, name) &&
		    !strcmp(a->l[i].key, key) && on_line(a->l[i].val, line)) {
			sep = ours_sep(a->l[i].val);
			return sep ? sep + 2 : "";
		}
	return NULL;
}

/* Was case @name already handled before entry @i of the two files? */
static int seen(const struct file *f, size_t i, const char *name)
{
	size_t j;

	for (j = 0; j < i; j++) {
		const struct line *l = j < f[0].n ? &f[0].l[j] : &f[1].l[j - f[0].n];

		if ((!strcmp(l->kind, "case") || !strcmp(l->kind, "obs")) &&
		    !strcmp(l->name, name))
			return 1;
	}
	return 0;
}

/* Are ours' observations of @name those of the stock backend's @twin? */
static int same_as_twin(const struct file *f, const char *name, const char *twin)
{
	static const char *const label[2] = { "stock", "iova" };
	const char *other;
	int k, same = 1;
	size_t j;

	for (k = 0; k < 2; k++)
		for (j = 0; j < f[k].n; j++) {
			const struct line *l = &f[k].l[j];

			if (strcmp(l->kind, "obs") || strcmp(l->name, k ? name : twin))
				continue;
			other = find(&f[!k], "obs", k ? twin : name, l->key);
			if (other && !strcmp(other, l->val))
				continue;
			if (same)
				printf("#   differs: %s (stock: %s) %s: %s=%s %s=%s\n", name, twin,
				       l->key, label[k], l->val, label[!k], other ?: "(none)");
			same = 0;
		}
	return same;
}

static int cmd_compare(int argc, char **argv)
{
	struct file f[2], allow = { 0 }, *al = NULL;
	const char *label[2] = { "stock", "iova" };
	int n = 0, failed = 0, k;
	size_t i, j;

	if (argc < 4) {
		fprintf(stderr, "usage: vfio-tests compare STOCK OURS [ALLOWED [LINE]]\n");
		return 2;
	}
	if (load(argv[2], &f[0]))
		return 2;
	if (load(argv[3], &f[1])) {
		unload(&f[0]);
		return 2;
	}
	if (argc > 4 && !load(argv[4], &allow))
		al = &allow;

	/* Every case either side reported or recorded, in order of appearance. */
	for (i = 0; i < f[0].n + f[1].n; i++) {
		const struct line *c = i < f[0].n ? &f[0].l[i] : &f[1].l[i - f[0].n];
		const char *name = c->name;
		int same = 1;

		if (strcmp(c->kind, "case") && strcmp(c->kind, "obs"))
			continue;
		if (seen(f, i, name))
			continue;

		for (k = ours_only(name); k < 2; k++) {
			const char *res = find(&f[k], "case", name, NULL);
			int ok = res && !strcmp(res, "ok");

			printf("%s %d - %s: %s\n", ok ? "ok" : "not ok", ++n, label[k], name);
			if (!ok) {
				for (j = 0; j < f[k].n; j++)
					if (!strcmp(f[k].l[j].kind, "case") &&
					    !strcmp(f[k].l[j].name, name))
						printf("#   %s\n", f[k].l[j].val);
				if (!res)
					printf("#   case did not report (crashed or never ran)\n");
				failed++;
			}
		}
		if (ours_only(name) && twin_of(name)) {
			same = same_as_twin(f, name, twin_of(name));
			printf("%s %d - diff: %s as stock's %s\n", same ? "ok" : "not ok", ++n,
			       name, twin_of(name));
			failed += !same;
			continue;
		}
		if (ours_only(name)) {
			/* No one would compare them: such a case must assert. */
			if (find(&f[1], "obs", name, NULL) || find(&f[0], "obs", name, NULL)) {
				printf("not ok %d - %s: %s\n", ++n, name,
				       "records observations of ours only, which nothing compares");
				failed++;
			}
			continue;
		}
		/*
		 * Every observation of either side must exist and agree in the
		 * other, or differ as documented, with ours' documented value.
		 */
		for (k = 0; k < 2; k++)
			for (j = 0; j < f[k].n; j++) {
				const struct line *l = &f[k].l[j];
				const char *other, *want, *ours;

				if (strcmp(l->kind, "obs") || strcmp(l->name, name))
					continue;
				other = find(&f[!k], "obs", name, l->key);
				if (other && !strcmp(other, l->val))
					continue;
				want = allowed(al, name, l->key, argc > 5 ? argv[5] : "");
				ours = k ? l->val : other;
				if (want && ours && *want && !strcmp(ours, want)) {
					printf("# documented difference %s %s: %s=%s %s=%s\n",
					       name, l->key, label[k], l->val, label[!k],
					       other ? other : "(none)");
					continue;
				}
				if (want && same)
					printf("#   documented difference %s %s, %s %s, not %s\n",
					       name, l->key, "but ours is", ours ? ours : "(none)",
					       *want ? want : "(no value given)");
				if (same)
					printf("#   differs: %s %s: %s=%s %s=%s\n",
					       name, l->key, label[k], l->val, label[!k],
					       other ? other : "(none)");
				same = 0;
			}
		printf("%s %d - diff: %s\n", same ? "ok" : "not ok", ++n, name);
		failed += !same;
	}
	printf("# compare: %d tests, %d failed\n", n, failed);
	unload(&f[0]);
	unload(&f[1]);
	unload(&allow);
	return failed ? 1 : 0;
}

/*
 * list-cases: every case of the table, a line each: its name, then the
 * result files it must be in ("both", or "iova" for ours-only ones).
 * The host checks a scenario's results against it (tests/lib/guest.sh).
 */
static int cmd_list_cases(int argc, char **argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < NCASES; i++) {
		const char *in = "both";

		if (ours_only(cases[i].name))
			in = "iova";
		printf("%s %s\n", cases[i].name, in);
	}
	return 0;
}

/*
 * collision-addr --group N [--low]: the first IOVA in [4 GiB, 1 TiB),
 * 1 GiB-aligned, that the group's container cannot map (where a VM's memory
 * device would collide), or "none".  With --low: the first IOVA below 2 GiB
 * that it cannot map (where the RAM of a machine whose RAM starts at 0
 * collides: arm64's MSI windows), or "none".
 */
static int cmd_collision_addr(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "collision-addr" };
	struct vt_ranges vr;
	struct vt_cont vc;
	uint64_t a;
	unsigned int i;
	int low = argc == 5 && !strcmp(argv[4], "--low");

	if ((argc != 4 && !low) || strcmp(argv[2], "--group"))
		return 2;
	t.group = atoi(argv[3]);
	if (vt_open(&t, &vc, VFIO_TYPE1v2_IOMMU) || vt_get_ranges(vc.c, &vr))
		return 1;
	vt_close(&vc);
	if (low) {
		/* The ranges come sorted: a is the end of the run from 0. */
		for (a = 0, i = 0; i < vr.nr && vr.r[i].start <= a; i++) {
			if (vr.r[i].end >= 1ULL << 31)
				break;		/* valid up to 2 GiB */
			if (vr.r[i].end >= a)
				a = vr.r[i].end + 1;
		}
		if ((i < vr.nr && vr.r[i].start <= a) || a >= 1ULL << 31)
			printf("none\n");
		else
			printf("%#llx\n", (unsigned long long)a);
		return 0;
	}
	for (a = 1ULL << 32; a < 1ULL << 40; a += 1ULL << 30) {
		for (i = 0; i < vr.nr; i++)
			if (a >= vr.r[i].start && a + (1ULL << 30) - 1 <= vr.r[i].end)
				break;
		if (i == vr.nr) {
			printf("%#llx\n", (unsigned long long)a);
			return 0;
		}
	}
	printf("none\n");
	return 0;
}

/*
 * last-valid --group N: the last valid IOVA of the group's container;
 * ranges --group N: every valid range, "0xstart-0xlast" a line;
 * holes --group N: every IOVA range between them, the same way.
 */
static int cmd_ranges(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = argv[1] };
	bool last = !strcmp(argv[1], "last-valid");
	uint64_t next = 0;
	struct vt_ranges vr;
	struct vt_cont vc;
	unsigned int i;

	if (argc != 4 || strcmp(argv[2], "--group"))
		return 2;
	t.group = atoi(argv[3]);
	if (vt_open(&t, &vc, VFIO_TYPE1v2_IOMMU) || vt_get_ranges(vc.c, &vr) || !vr.nr)
		return 1;
	vt_close(&vc);
	if (!strcmp(argv[1], "holes")) {
		for (i = 0; i < vr.nr; i++) {
			if (vr.r[i].start > next)
				printf("0x%llx-0x%llx\n", (unsigned long long)next,
				       (unsigned long long)vr.r[i].start - 1);
			next = vr.r[i].end + 1;
		}
		if (vr.r[vr.nr - 1].end != UINT64_MAX)
			printf("0x%llx-0xffffffffffffffff\n", (unsigned long long)next);
		return 0;
	}
	for (i = last ? vr.nr - 1 : 0; i < vr.nr; i++)
		if (last)
			printf("%#llx\n", (unsigned long long)vr.r[i].end);
		else
			printf("0x%llx-0x%llx\n", (unsigned long long)vr.r[i].start,
			       (unsigned long long)vr.r[i].end);
	return 0;
}

/*
 * hold-refusal GROUP range|memlock: a container with GROUP whose last map
 * was refused (onto the group's MSI window; past a 64 kB RLIMIT_MEMLOCK
 * without CAP_IPC_LOCK), kept open until stdin closes, for `vfio-iova why`.
 * Prints "refused ERRNO IOVA" first.
 */
static int cmd_hold_refusal(int argc, char **argv)
{
	struct ctx t = { .out = stderr, .name = "hold-refusal" };
	struct rlimit rl = { 16 * PAGE, 16 * PAGE };
	uint64_t iova = 0x100000, last;
	struct vt_cont vc;
	char line[16];
	long r;
	void *b;

	if (argc != 4)
		return 2;
	b = vt_buffer(32 * PAGE);
	if (!b || vt_open_group(&t, &vc, atoi(argv[2]), VFIO_TYPE1v2_IOMMU))
		return 1;
	if (!strcmp(argv[3], "range")) {
		if (vt_msi_window(atoi(argv[2]), &iova, &last))
			return 1;
		r = vt_map(vc.c, iova, PAGE, (uintptr_t)b, VFIO_DMA_MAP_FLAG_READ);
	} else if (!strcmp(argv[3], "memlock")) {
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || vt_drop_ipc_lock())
			return 1;
		r = vt_map(vc.c, iova, 32 * PAGE, (uintptr_t)b, VFIO_DMA_MAP_FLAG_READ);
	} else {
		return 2;
	}
	printf("refused %ld %#llx\n", r, (unsigned long long)iova);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	vt_close(&vc);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "compare", cmd_compare },
	{ "list-cases", cmd_list_cases },
	{ "collision-addr", cmd_collision_addr },
	{ "last-valid", cmd_ranges },
	{ "ranges", cmd_ranges },
	{ "holes", cmd_ranges },
	{ "bench", cmd_bench },
	{ "vmstart", cmd_vmstart },
	{ "fuzz", cmd_fuzz },
	{ "faults", cmd_faults },
	{ "hotunplug", cmd_hotunplug },
	{ "replug", cmd_replug },
	{ "unplug-race", cmd_unplug_race },
	{ "inject", cmd_inject },
	{ "rmmod-refused", cmd_rmmod_refused },
	{ "hold-refusal", cmd_hold_refusal },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc == 4 && !strcmp(argv[1], "klog-has"))
		return !vt_klog_has(argv[2], argv[3]);
	for (i = 0; argc > 1 && i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc, argv);
	fprintf(stderr, "usage: vfio-tests run|compare|... (see the top of vfio-tests.c)\n");
	return 2;
}
