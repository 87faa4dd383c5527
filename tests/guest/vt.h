/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-tests: shared declarations of the guest test program.
 *
 * A case records observations (record()) that the differential run compares
 * between the stock backend and ours, and assertions (CHECK()) that must hold
 * under both.  Observations must not depend on anything but the ABI: no
 * addresses, no timings.
 */
#ifndef VT_H
#define VT_H

#include <errno.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE 4096ULL

struct ctx {
	FILE *out;
	const char *backend;	/* module expected to serve the container */
	int group;		/* IOMMU group number of the edu device */
	const char *device;	/* the edu device's PCI address */
	int group2;		/* a second edu device's group, or -1 */
	const char *device2;
	int mdev_group;		/* the test mdev's emulated group, or -1 */
	const char *mdev_uuid;
	const char *name;	/* current case */
	char why[256];		/* first failed assertion of the case */
	int refusal_cid;	/* our container whose refusals were seen... */
	long refusals_seen;	/* ...and how many of them */
};

void record(struct ctx *t, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keep the first failed assertion of a case as its reason (truncated). */
void vt_fail(struct ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CHECK(t, cond, ...)						\
	do {								\
		if (!(cond))						\
			vt_fail((t), __VA_ARGS__);			\
	} while (0)

/* ioctl() returning the result or -errno. */
long xioctl(int fd, unsigned long req, void *arg);
long module_refcnt(const char *module);
extern const char *const vt_backends[2];

/* A container with the edu group attached and an IOMMU type set. */
struct vt_cont {
	int c, g;
};

int vt_open(struct ctx *t, struct vt_cont *vc, unsigned long type);
int vt_open_group(struct ctx *t, struct vt_cont *vc, int group, unsigned long type);
void vt_close(struct vt_cont *vc);

/* VFIO_IOMMU_MAP_DMA / UNMAP_DMA with everything spelled out. */
long vt_map(int c, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t flags);
long vt_unmap(int c, uint64_t iova, uint64_t size, uint32_t flags, uint64_t *unmapped);

/* The valid IOVA ranges from GET_INFO's IOVA_RANGE capability. */
struct vt_ranges {
	unsigned int nr;
	struct vfio_iova_range r[16];
};

int vt_get_ranges(int c, struct vt_ranges *out);
int cmd_bench(int argc, char **argv);	/* bench.c */
int cmd_vmstart(int argc, char **argv);	/* vmstart.c */
int cmd_fuzz(int argc, char **argv);	/* fuzz.c */
int cmd_rmmod_refused(int argc, char **argv);
int cmd_faults(int argc, char **argv);	/* faults.c */
uint64_t vt_pgsizes(int c);
/* The whole GET_INFO reply in hex (argsz negotiated). */
int vt_info_hex(int c, char *hex, size_t len);

/* A number from our debugfs stats of this process's (last) container. */
long vt_our_stat(const char *key);

/*
 * A refused request says why (ours only; nothing to check under the stock
 * backend): if @r < 0, this process's newest container has a refusal it
 * did not have at the last check, and the last one has reason @reason
 * (any reason if NULL).  refused() also records "%ld" of @r as @key.
 */
void vt_expect_refusal(struct ctx *t, const char *what, long r, const char *reason);
void refused(struct ctx *t, const char *key, long r, const char *reason);
/* Our container's debugfs directory for this process (newest); 0 if found. */
int vt_our_dir(char *path, size_t len);

/*
 * The group's MSI window: its first reserved region of type msi (x86: the
 * interrupt range at 0xfee00000; arm64: the SMMU's software MSI window or
 * the ITS doorbell).  0 if found.
 */
int vt_msi_window(int group, uint64_t *start, uint64_t *last);

/* Is there a kernel log line containing both @a and @b? */
int vt_klog_has(const char *a, const char *b);

/* Anonymous, pre-faulted memory for DMA. */
void *vt_buffer(size_t size);
/* The same, 4 KiB pages faulted in an order that leaves few of them contiguous. */
void *vt_buffer_scattered(size_t size);
void vt_fault_scattered(void *buf, uint64_t size);
/* How many neighbouring pages of @buf are physically contiguous; -1 if unknown. */
long vt_contiguous_pairs(const void *buf, uint64_t size);
long vt_vmlck_kb(void);
/* A "KEY: N kB" field of a /proc file, in kB; -1 if there is none. */
long vt_proc_kb(const char *path, const char *key);

/* Pages pinned with FOLL_PIN in the whole system (/proc/vmstat, folded). */
long vt_foll_pins(void);
/* Drop CAP_IPC_LOCK from the effective set: RLIMIT_MEMLOCK then binds. */
int vt_drop_ipc_lock(void);

/* Write a value to a backend module parameter; returns the old value. */
long vt_set_param(const char *module, const char *param, long value);

/* An edu device of the container, bus mastering on, BAR0 mapped (cases_dma.c). */
struct edu {
	int fd;
	volatile char *bar;
	size_t bar_size;
};

#define EDU_XFER 0x800		/* bytes per edu_copy() */
int edu_open(struct ctx *t, int group_fd, const char *bdf, struct edu *e);
void edu_close(struct edu *e);
/* Copy EDU_XFER bytes from IOVA @from to IOVA @to through the device. */
int edu_copy(struct edu *e, uint64_t from, uint64_t to);
/* VFIO_IOMMU_DIRTY_PAGES with @flags; GET_BITMAP of a range (cases_dirty.c). */
long dirty_flags(int c, uint32_t argsz, uint32_t flags);
long dirty_get(int c, uint64_t iova, uint64_t size, uint64_t pgsize,
	       uint64_t bitmap_size, uint64_t *bits);
/* A command to the test mdev; its result, and the byte sum for reads (cases_mdev.c). */
long mdev_cmd(struct ctx *t, unsigned long *sum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A container with the test mdev only, and its device open in *@dev. */
int mdev_open(struct ctx *t, struct vt_cont *vc, unsigned long type, int *dev);
int cmd_hotunplug(int argc, char **argv);	/* hotplug.c */
int cmd_inject(int argc, char **argv);		/* inject.c */
int cmd_replug(int argc, char **argv);
int cmd_unplug_race(int argc, char **argv);

/* Cases, one function each, in the files cases_*.c (table in vfio-tests.c). */
void case_set_iommu_type1v2(struct ctx *t);
void case_edu_msi(struct ctx *t);
void case_set_iommu_type1(struct ctx *t);
void case_extensions(struct ctx *t);
void case_get_info(struct ctx *t);
void case_map_args(struct ctx *t);
void case_map_ranges(struct ctx *t);
void case_unmap_v2(struct ctx *t);
void case_unmap_v1(struct ctx *t);
void case_unmap_all(struct ctx *t);
void case_top_of_space(struct ctx *t);
void case_dma_entry_limit(struct ctx *t);
void case_memlock(struct ctx *t);
void case_edu_dma(struct ctx *t);
void case_two_groups(struct ctx *t);
void case_unsafe_interrupts(struct ctx *t);
void case_attach_conflict(struct ctx *t);
void case_memlock_cap(struct ctx *t);
void case_owner_exit(struct ctx *t);
void case_disable_hugepages(struct ctx *t);
void case_ours_vmlck_zero(struct ctx *t);
void case_emulated_pin(struct ctx *t);
void case_emulated_pin_v1(struct ctx *t);
void case_emulated_accounting(struct ctx *t);
void case_ours_emulated_stubborn(struct ctx *t);
void case_vaddr_io_mixedmap(struct ctx *t);
void case_emulated_pin_top(struct ctx *t);
void case_update_vaddr(struct ctx *t);
void case_update_vaddr_emulated(struct ctx *t);
void case_update_vaddr_type1(struct ctx *t);
void case_update_vaddr_abandoned(struct ctx *t);
void case_vaddr_pfnmap(struct ctx *t);
void case_accounting_shared(struct ctx *t);
void case_dirty_pages(struct ctx *t);
void case_dirty_pages_emulated(struct ctx *t);
void case_dirty_pinned_before_start(struct ctx *t);
void case_nesting(struct ctx *t);
void case_ours_two_domains(struct ctx *t);
void case_ours_introspection(struct ctx *t);
void case_ours_busy_container(struct ctx *t);
void case_coexist_selection(struct ctx *t);

#endif /* VT_H */
