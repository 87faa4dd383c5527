// SPDX-License-Identifier: GPL-2.0
/* vfio-tests: helpers shared by the cases. */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vt.h"

const char *const vt_backends[2] = { "vfio_iommu_type1", "vfio_iommu_iova" };

void record(struct ctx *t, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(t->out, "obs %s %s ", t->name, key);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

void vt_fail(struct ctx *t, const char *fmt, ...)
{
	va_list ap;

	if (t->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	/* The reason goes on one line of the result file. */
	for (char *p = t->why; *p; p++)
		if (*p == '\n')
			*p = '|';
}

long xioctl(int fd, unsigned long req, void *arg)
{
	long r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

long module_refcnt(const char *module)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	f = fopen(path, "r");
	if (!f)
		return -1;	/* not loaded */
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int vt_open(struct ctx *t, struct vt_cont *vc, unsigned long type)
{
	return vt_open_group(t, vc, t->group, type);
}

int vt_open_group(struct ctx *t, struct vt_cont *vc, int group, unsigned long type)
{
	char path[64];
	long r;

	vc->g = -1;
	vc->c = open("/dev/vfio/vfio", O_RDWR);
	CHECK(t, vc->c >= 0, "open /dev/vfio/vfio: %s", strerror(errno));
	if (vc->c < 0)
		return -1;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	vc->g = open(path, O_RDWR);
	CHECK(t, vc->g >= 0, "open %s: %s", path, strerror(errno));
	if (vc->g < 0)
		goto fail;
	r = xioctl(vc->g, VFIO_GROUP_SET_CONTAINER, &vc->c);
	CHECK(t, r == 0, "VFIO_GROUP_SET_CONTAINER: %s", strerror(-r));
	if (r)
		goto fail;
	r = xioctl(vc->c, VFIO_SET_IOMMU, (void *)type);
	CHECK(t, r == 0, "VFIO_SET_IOMMU(%lu): %s", type, strerror(-r));
	if (r)
		goto fail;
	return 0;
fail:
	vt_close(vc);
	return -1;
}

void vt_close(struct vt_cont *vc)
{
	if (vc->g >= 0)
		close(vc->g);
	if (vc->c >= 0)
		close(vc->c);
	vc->g = -1;
	vc->c = -1;
}

long vt_map(int c, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = vaddr,
		.iova = iova, .size = size,
	};

	return xioctl(c, VFIO_IOMMU_MAP_DMA, &m);
}

long vt_unmap(int c, uint64_t iova, uint64_t size, uint32_t flags, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size,
	};
	long r = xioctl(c, VFIO_IOMMU_UNMAP_DMA, &u);

	if (unmapped)
		*unmapped = u.size;
	return r;
}

/* GET_INFO into a buffer of the size the backend asks for. */
static struct vfio_iommu_type1_info *get_info(int c)
{
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) }, *info;

	if (xioctl(c, VFIO_IOMMU_GET_INFO, &probe) < 0 || probe.argsz < sizeof(probe))
		return NULL;
	info = calloc(1, probe.argsz);
	if (!info)
		return NULL;
	info->argsz = probe.argsz;
	if (xioctl(c, VFIO_IOMMU_GET_INFO, info) < 0) {
		free(info);
		return NULL;
	}
	return info;
}

int vt_info_hex(int c, char *hex, size_t len)
{
	struct vfio_iommu_type1_info *info = get_info(c);
	const unsigned char *p = (const void *)info;
	size_t i;

	hex[0] = 0;
	if (!info)
		return -1;
	for (i = 0; i < info->argsz && 2 * i + 2 < len; i++)
		sprintf(hex + 2 * i, "%02x", p[i]);
	free(info);
	return 0;
}

uint64_t vt_pgsizes(int c)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

	return xioctl(c, VFIO_IOMMU_GET_INFO, &info) < 0 ? 0 : info.iova_pgsizes;
}

int vt_get_ranges(int c, struct vt_ranges *out)
{
	struct vfio_iommu_type1_info *info = get_info(c);
	struct vfio_info_cap_header *h;
	uint32_t off;

	out->nr = 0;
	if (!info)
		return -1;
	off = (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0;
	while (off && off + sizeof(*h) <= info->argsz) {
		h = (void *)((char *)info + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *cap = (void *)h;
			unsigned int i;

			for (i = 0; i < cap->nr_iovas && i < ARRAY_SIZE(out->r); i++)
				out->r[i] = cap->iova_ranges[i];
			out->nr = i;
			break;
		}
		off = h->next;
	}
	free(info);
	return 0;
}

void *vt_buffer(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* How many pairs of neighbouring pages of @buf are physically contiguous. */
long vt_contiguous_pairs(const void *buf, uint64_t size)
{
	uint64_t n = size / PAGE, i, prev = 0, e;
	long pairs = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return -1;
	for (i = 0; i < n; i++) {
		off_t at = ((uintptr_t)buf / PAGE + i) * sizeof(e);

		if (pread(fd, &e, sizeof(e), at) != sizeof(e)) {
			close(fd);
			return -1;
		}
		e &= (1ULL << 55) - 1;	/* the pfn */
		pairs += i && e == prev + 1;
		prev = e;
	}
	close(fd);
	return pairs;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Fault the pages in an order that scatters neighbours in time: page
 * (j * stride) mod n at step j, the stride coprime with the page count n
 * so that each page is touched once.  The allocator hands out pages in
 * whatever order its free lists hold them: faulted from the last page to
 * the first, a quarter of 256 MiB had a contiguous neighbour on 6.1.
 * Pages faulted one after the other are some 40,000 pages apart here,
 * whatever that order.
 */
void vt_fault_scattered(void *buf, uint64_t size)
{
	uint64_t n = size / PAGE, i, stride;

	for (stride = 40503; gcd(stride, n) != 1; stride += 2)
		;
	for (i = 0; i < n; i++)
		((volatile char *)buf)[(i * stride % n) * PAGE] = 1;
}

void *vt_buffer_scattered(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, size, MADV_NOHUGEPAGE)) {
		munmap(p, size);
		return NULL;
	}
	vt_fault_scattered(p, size);
	return p;
}

long vt_proc_kb(const char *path, const char *key)
{
	char line[128], fmt[64];
	long kb = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	snprintf(fmt, sizeof(fmt), "%s: %%ld kB", key);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long vt_vmlck_kb(void)
{
	return vt_proc_kb("/proc/self/status", "VmLck");
}

/* Numbers, and bools as the kernel shows them (Y/N). */
static long parse_param(const char *s)
{
	if (*s == 'Y')
		return 1;
	if (*s == 'N')
		return 0;
	return *s >= '0' && *s <= '9' ? strtol(s, NULL, 0) : -1;
}

long vt_set_param(const char *module, const char *param, long value)
{
	char path[160], buf[32] = "";
	long old;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, param);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	old = parse_param(buf);
	if (old < 0)
		return -1;	/* not understood: leave it alone */
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", value);
	if (fclose(f))
		return -1;
	return old;
}

int vt_msi_window(int group, uint64_t *start, uint64_t *last)
{
	unsigned long long s, l;
	char path[96], type[32];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/reserved_regions", group);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (!found && fscanf(f, "%llx %llx %31s", &s, &l, type) == 3)
		found = !strcmp(type, "msi");
	fclose(f);
	if (!found)
		return -1;
	*start = s;
	*last = l;
	return 0;
}

int vt_klog_has(const char *a, const char *b)
{
	static char log[1 << 20];
	char *line;
	int n = klogctl(3, log, sizeof(log) - 1);	/* SYSLOG_ACTION_READ_ALL */

	if (n <= 0)
		return 0;
	log[n] = 0;
	for (line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, a) && strstr(line, b))
			return 1;
	return 0;
}

int vt_our_dir(char *path, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/vfio-iommu-iova/containers", "r");
	char line[256];
	int id, pid, found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %d", &id, &pid) == 2 && pid == getpid())
			found = id;
	fclose(f);
	if (found < 0)
		return -1;
	snprintf(path, len, "/sys/kernel/debug/vfio-iommu-iova/%d", found);
	return 0;
}

/* "KEY: VALUE" of one of our container's files, as text; 0 if found. */
static int our_field(const char *file, const char *key, char *val, size_t len)
{
	char path[128], line[512];
	size_t n = strlen(key);
	int ret = -1;
	FILE *f;

	if (vt_our_dir(path, sizeof(path) - 32))
		return -1;
	strcat(path, "/");
	strcat(path, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':' && line[n + 1] == ' ') {
			line[strcspn(line, "\n")] = 0;
			snprintf(val, len, "%s", line + n + 2);
			ret = 0;
		}
	fclose(f);
	return ret;
}

long vt_our_stat(const char *key)
{
	char val[64];

	return our_field("stats", key, val, sizeof(val)) ? -1 : atol(val);
}

void vt_expect_refusal(struct ctx *t, const char *what, long r, const char *reason)
{
	char path[128], n[32], why[64] = "", text[256] = "";
	long count;
	int id;

	if (r >= 0 || strcmp(t->backend, "vfio_iommu_iova"))
		return;
	if (vt_our_dir(path, sizeof(path)) || our_field("refusals", "refusals", n, sizeof(n))) {
		vt_fail(t, "%s: %ld, and no refusals file of ours", what, r);
		return;
	}
	id = atoi(strrchr(path, '/') + 1);
	if (id != t->refusal_cid) {
		t->refusal_cid = id;
		t->refusals_seen = 0;
	}
	count = atol(n);
	our_field("refusals", "last_reason", why, sizeof(why));
	our_field("refusals", "last_text", text, sizeof(text));
	CHECK(t, count > t->refusals_seen && (!reason || !strcmp(why, reason)),
	      "%s: %ld, refusal not explained as '%s' (%ld refusals, %ld seen, last: %s: %s)",
	      what, r, reason ? reason : "any", count, t->refusals_seen, why, text);
	t->refusals_seen = count;
}

void refused(struct ctx *t, const char *key, long r, const char *reason)
{
	record(t, key, "%ld", r);
	vt_expect_refusal(t, key, r, reason);
}

long vt_foll_pins(void)
{
	unsigned long long acq = 0, rel = 0, v;
	char key[64];
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");

	/* Fold the per-CPU deltas first: small changes hide in them. */
	if (!f || fputs("1\n", f) < 0 || fclose(f))
		return -1;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, "nr_foll_pin_acquired"))
			acq = v;
		else if (!strcmp(key, "nr_foll_pin_released"))
			rel = v;
	}
	fclose(f);
	return (long)(acq - rel);
}

int vt_drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &h, d);
}
