/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-iommu-iova: internal declarations.
 *
 * Files, by responsibility:
 *   main.c         registration with the vfio core, container lifetime,
 *                  module parameters
 *   ioctl.c        the type1 ioctl ABI: argument checks and copies only
 *   dma.c          the mapping tree, map/unmap semantics, replay
 *   pin.c          pinning user pages and locked_vm accounting
 *   emulated.c     emulated (mdev) users: pin_pages, unpin_pages, dma_rw,
 *                  and telling their drivers to drop pins before an unmap
 *   dirty.c        dirty page tracking for migration
 *   domain.c       IOMMU domains, group attach/detach, valid IOVA ranges
 *   iova_ranges.c  the range algebra (kernel-agnostic, unit-tested on the host)
 *   refusal.c      why a request was refused: debugfs, counters, kernel log
 *   debugfs.c      read-only introspection
 *   inject.c       fault injection, in test builds only (see inject.h)
 *
 * Lock order (outermost first):
 *   vfio core locks (held by our callers around attach/detach/release)
 *   -> vfio_iova_list_lock (the list of containers, for debugfs)
 *   -> vfio_iova_container.devices_lock (emulated devices to notify)
 *   -> vfio_iova_container.lock
 *   -> mmap_lock of the mapping's mm (pinning and accounting)
 * The unmap notification calls drivers with devices_lock held and the
 * container lock dropped; they re-enter unpin_pages, which takes the
 * container lock: hence devices_lock is never taken under it.
 * Nothing in this module takes a vfio core lock.
 */
#ifndef VFIO_IOVA_INTERNAL_H
#define VFIO_IOVA_INTERNAL_H

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "inject.h"
#include "iova_ranges.h"

#define VFIO_IOVA_NAME "vfio-iommu-iova"

/* Dirty bitmaps: at most INT_MAX pages, in whole u64 words (as stock). */
#define VFIO_IOVA_DIRTY_PAGES_MAX	((u64)INT_MAX)
#define VFIO_IOVA_DIRTY_BYTES(n)	(ALIGN((u64)(n), 64) / 8)
#define VFIO_IOVA_DIRTY_SIZE_MAX	VFIO_IOVA_DIRTY_BYTES(VFIO_IOVA_DIRTY_PAGES_MAX)

/* Module parameters (main.c); same names and meaning as the stock backend. */
extern bool vfio_iova_allow_unsafe_interrupts;
extern bool vfio_iova_disable_hugepages;
extern unsigned int vfio_iova_dma_entry_limit;
extern bool vfio_iova_serve_type1;
extern bool vfio_iova_serve_type1v2;
extern bool vfio_iova_reuse_domains;

/* One reserved region of a group, as the IOMMU core reported it. */
struct vfio_iova_resv {
	u64 start;
	u64 last;
	int type;		/* enum iommu_resv_type */
};

/* A group attached to a container. */
struct vfio_iova_group {
	struct list_head next;		/* in vfio_iova_domain.groups or .emulated */
	struct iommu_group *iommu_group;
	int id;				/* iommu_group_id() */
	const struct iommu_device *unit; /* IOMMU of its first device, if any */
	bool pinned_page_dirty_scope;	/* dirties only pages it pins */
	struct vfio_iova_resv *resv;	/* its reserved regions */
	unsigned int nr_resv;
};

/* An IOMMU domain of a container and the groups attached to it. */
struct vfio_iova_domain {
	struct list_head next;		/* in vfio_iova_container.domains */
	struct iommu_domain *domain;
	struct list_head groups;	/* struct vfio_iova_group.next */
	bool enforce_cache_coherency;
};

/* One VFIO_IOMMU_MAP_DMA. */
struct vfio_iova_dma {
	struct rb_node node;		/* in vfio_iova_container.dmas, by iova */
	u64 iova;
	u64 size;			/* bytes pinned and mapped so far */
	unsigned long vaddr;
	int prot;			/* IOMMU_READ | IOMMU_WRITE */
	bool lock_cap;			/* owner had CAP_IPC_LOCK: no rlimit */
	bool iommu_mapped;		/* pinned and in the domains */
	bool vaddr_invalid;		/* live update: user memory not reachable */
	struct task_struct *task;	/* owner (group leader), for accounting */
	struct mm_struct *mm;		/* grabbed: accounting after exit */
	unsigned long locked;		/* pages accounted to mm->locked_vm */
	struct rb_root vpfns;		/* struct vfio_iova_vpfn: emulated pins */
	unsigned long *bitmap;		/* dirty pages, while tracking */
	/*
	 * A bit per page: a physically contiguous run the domains were given
	 * starts there, so that unmap and replay look up each run once, not
	 * each page.  NULL: none (allocation failed), runs are found by
	 * walking the first domain.  Small mappings use runs_small.
	 */
	unsigned long *runs;
	unsigned long runs_small;
};

/* A page of a mapping pinned by an emulated user (vfio_pin_pages()). */
struct vfio_iova_vpfn {
	struct rb_node node;		/* in vfio_iova_dma.vpfns, by iova */
	u64 iova;
	unsigned long pfn;
	unsigned int ref;		/* pins of this page by the users */
};

static inline u64 vfio_iova_dma_last(const struct vfio_iova_dma *dma)
{
	return dma->iova + dma->size - 1;
}

/* Counters shown in debugfs. */
struct vfio_iova_stats {
	u64 maps, unmaps;
};

/* What a refused request was (refusal.c has their names). */
enum vfio_iova_op {
	VFIO_IOVA_OP_MAP,		/* VFIO_IOMMU_MAP_DMA */
	VFIO_IOVA_OP_UNMAP,		/* VFIO_IOMMU_UNMAP_DMA */
	VFIO_IOVA_OP_ATTACH,		/* a group joining the container */
	VFIO_IOVA_OP_PIN,		/* vfio_pin_pages() of an emulated user */
	VFIO_IOVA_OP_DMA_RW,		/* vfio_dma_rw() of an emulated user */
	VFIO_IOVA_OP_DIRTY,		/* VFIO_IOMMU_DIRTY_PAGES */
	VFIO_IOVA_NR_OPS
};

/* Why it was refused: the counters and the tool know these by name. */
enum vfio_iova_why {
	VFIO_IOVA_WHY_ARGUMENT,		/* argsz, flags, a zero size */
	VFIO_IOVA_WHY_MISALIGNED,	/* not a multiple of the IOMMU page size */
	VFIO_IOVA_WHY_WRAPS,		/* iova or vaddr + size wraps */
	VFIO_IOVA_WHY_OVERLAP,		/* an existing mapping is in the way */
	VFIO_IOVA_WHY_ENTRY_LIMIT,	/* dma_entry_limit mappings exist */
	VFIO_IOVA_WHY_MEMLOCK,		/* RLIMIT_MEMLOCK reached */
	VFIO_IOVA_WHY_RANGE,		/* outside the valid IOVA ranges */
	VFIO_IOVA_WHY_LAYOUT,		/* a group's aperture or region vs mappings */
	VFIO_IOVA_WHY_PIN,		/* user memory could not be pinned */
	VFIO_IOVA_WHY_NOT_MAPPED,	/* no mapping there */
	VFIO_IOVA_WHY_SPLIT,		/* type1v2 unmap would split a mapping */
	VFIO_IOVA_WHY_PERMISSION,	/* a write to a read-only mapping */
	VFIO_IOVA_WHY_STATE,		/* not now: live update, tracking, type */
	VFIO_IOVA_WHY_IOMMU,		/* the IOMMU driver refused */
	VFIO_IOVA_WHY_NO_MEMORY,	/* a kernel allocation failed */
	VFIO_IOVA_NR_WHYS
};

/* The last refusal of a container, and a count of each reason. */
struct vfio_iova_refusals {
	spinlock_t lock;		/* readers do not wait for the container */
	u64 seq;			/* refusals so far */
	enum vfio_iova_op op;
	enum vfio_iova_why why;
	int err;
	char text[224];
	u64 count[VFIO_IOVA_NR_WHYS];
	u64 ops[VFIO_IOVA_NR_OPS];	/* refusals of each request */
	struct ratelimit_state rs;	/* of their kernel log lines */
};

/* One per container that selected this backend (VFIO_SET_IOMMU). */
struct vfio_iova_container {
	/*
	 * The vfio core calls .release (last group detached) without waiting
	 * for container ioctls already past their load of our pointer, so
	 * each ioctl holds a reference; the last one frees the container,
	 * after an RCU grace period (see vfio_iova_container_get()).
	 */
	refcount_t users;
	struct rcu_head rcu;
	struct mutex devices_lock;	/* protects devices and nr_devices */
	struct list_head devices;	/* struct vfio_device.iommu_entry */
	/*
	 * Protects everything below; nr_dmas, nr_groups, locked and the stats
	 * are written with WRITE_ONCE() under it and read without it.
	 */
	struct mutex lock;
	struct list_head domains;	/* struct vfio_iova_domain.next */
	struct list_head emulated;	/* groups without an IOMMU domain */
	struct rb_root dmas;		/* struct vfio_iova_dma, by iova */
	unsigned int dma_avail;		/* entries left under dma_entry_limit */
	unsigned int nr_dmas;		/* entries in dmas */
	unsigned int vaddr_invalid_count; /* mappings with vaddr_invalid */
	unsigned int nr_groups;		/* attached, with a domain or emulated */
	unsigned long locked;		/* the sum of its mappings' ->locked */
	/* Valid IOVA ranges; meaningful only while there is a domain. */
	struct iova_ranges valid;
	unsigned long pgsize_bitmap;
	unsigned int nr_devices;	/* devices with dma_unmap (devices_lock) */
	bool v2;			/* VFIO_TYPE1v2_IOMMU unmap semantics */
	bool dirty_tracking;		/* VFIO_IOMMU_DIRTY_PAGES_FLAG_START */
	u64 num_non_pinned_groups;	/* groups without a dirty scope */
	bool nesting;			/* VFIO_IOVA_TYPE1_NESTING (compat.h) */
	struct vfio_iova_stats stats;
	struct vfio_iova_refusals refusals;	/* has its own lock */

	/* Introspection; fixed after open. */
	unsigned int id;
	pid_t owner_pid;
	char owner_comm[16];
	struct list_head all;		/* in the list of containers */
	struct dentry *debugfs;
};

/* The smallest IOMMU page size of the container, as a shift. */
static inline unsigned int vfio_iova_pgshift(const struct vfio_iova_container *c)
{
	return __ffs(c->pgsize_bitmap);
}

/* main.c */
extern struct mutex vfio_iova_list_lock;
extern struct list_head vfio_iova_containers;
bool vfio_iova_container_get(struct vfio_iova_container *c);
void vfio_iova_container_put(struct vfio_iova_container *c);

/* ioctl.c */
long vfio_iova_ioctl(void *data, unsigned int cmd, unsigned long arg);

/* dma.c */
struct vfio_iova_dma *vfio_iova_find_dma(struct vfio_iova_container *c, u64 iova, u64 last);
struct vfio_iova_dma *vfio_iova_first_dma(struct vfio_iova_container *c, u64 iova, u64 last);
struct vfio_iova_dma *vfio_iova_next_dma(struct vfio_iova_dma *dma, u64 last);
int vfio_iova_do_map(struct vfio_iova_container *c, u64 iova, u64 size,
		     unsigned long vaddr, int prot);
int vfio_iova_do_unmap(struct vfio_iova_container *c, u64 iova, u64 size,
		       bool all, bool invalidate_vaddr, struct vfio_bitmap *dirty,
		       u64 *unmapped);
int vfio_iova_update_vaddr(struct vfio_iova_container *c, u64 iova, u64 size,
			   unsigned long vaddr);
void vfio_iova_remove_all(struct vfio_iova_container *c);
void vfio_iova_unpin_all(struct vfio_iova_container *c);
int vfio_iova_replay(struct vfio_iova_container *c, struct vfio_iova_domain *d);

/* emulated.c */
int vfio_iova_pin_pages(void *data, struct iommu_group *group, dma_addr_t iova,
			int npage, int prot, struct page **pages);
void vfio_iova_unpin_pages(void *data, dma_addr_t iova, int npage);
int vfio_iova_dma_rw(void *data, dma_addr_t iova, void *buf, size_t count, bool write);
void vfio_iova_register_device(void *data, struct vfio_device *vdev);
void vfio_iova_unregister_device(void *data, struct vfio_device *vdev);
struct vfio_iova_vpfn *vfio_iova_find_vpfn(struct vfio_iova_dma *dma, u64 iova);
int vfio_iova_notify_unmap(struct vfio_iova_container *c, struct vfio_iova_dma *dma);
void vfio_iova_put_all_vpfns(struct vfio_iova_container *c, struct vfio_iova_dma *dma);

/* dirty.c */
int vfio_iova_bitmap_alloc(struct vfio_iova_container *c, struct vfio_iova_dma *dma);
void vfio_iova_bitmap_free(struct vfio_iova_dma *dma);
void vfio_iova_mark_dirty(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			  u64 iova, u64 len);
void vfio_iova_dirty_all(struct vfio_iova_container *c);
int vfio_iova_dirty_start(struct vfio_iova_container *c);
void vfio_iova_dirty_stop(struct vfio_iova_container *c);
int vfio_iova_copy_dirty(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			 u64 __user *ubitmap, u64 base);
int vfio_iova_dirty_get(struct vfio_iova_container *c, u64 __user *ubitmap, u64 iova,
			u64 size);

/* pin.c */
/* Is @pfn ordinary, pinnable and chargeable memory? */
static inline bool vfio_iova_pfn_normal(unsigned long pfn)
{
	return pfn_valid(pfn) && !PageReserved(pfn_to_page(pfn));
}

void vfio_iova_put_pfn(unsigned long pfn, int prot);
int vfio_iova_account(struct vfio_iova_container *c, struct vfio_iova_dma *dma, long npage);
int vfio_iova_account_mm(struct mm_struct *mm, struct task_struct *task, bool lock_cap,
			 long npage);
long vfio_iova_pin(struct vfio_iova_dma *dma, unsigned long vaddr, unsigned long n,
		   struct page **pages, unsigned long *pfnmap, bool fast);
long vfio_iova_pin_map(struct vfio_iova_container *c, struct vfio_iova_dma *dma, u64 size,
		       enum vfio_iova_op op);
int vfio_iova_refuse_memlock(struct vfio_iova_container *c, enum vfio_iova_op op, int err,
			     struct mm_struct *mm, struct task_struct *task, long npage);
void vfio_iova_unmap_unpin(struct vfio_iova_container *c, struct vfio_iova_dma *dma);
void vfio_iova_unpin_keep(struct vfio_iova_container *c, struct vfio_iova_dma *dma);
u64 vfio_iova_dma_run(struct vfio_iova_dma *dma, struct iommu_domain *domain, u64 done,
		      phys_addr_t *phys);
void vfio_iova_runs_free(struct vfio_iova_dma *dma);

/* domain.c */
int vfio_iova_attach_group(void *data, struct iommu_group *group,
			   enum vfio_group_type type);
void vfio_iova_detach_group(void *data, struct iommu_group *group);
void vfio_iova_release_domains(struct vfio_iova_container *c);
bool vfio_iova_has_domain(struct vfio_iova_container *c);
bool vfio_iova_has_emulated(struct vfio_iova_container *c);
struct vfio_iova_group *vfio_iova_find_group(struct vfio_iova_container *c,
					     struct iommu_group *ig,
					     struct vfio_iova_domain **dp);
struct iommu_domain *vfio_iova_group_iommu_domain(void *data, struct iommu_group *group);
bool vfio_iova_all_coherent(struct vfio_iova_container *c);
void vfio_iova_update_pgsizes(struct vfio_iova_container *c);
bool vfio_iova_valid(struct vfio_iova_container *c, u64 iova, u64 last);
void vfio_iova_explain(struct vfio_iova_container *c, u64 iova, char *buf, size_t len);
const char *vfio_iova_resv_type_name(int type);

/* refusal.c */
void vfio_iova_refusals_init(struct vfio_iova_container *c);
__printf(5, 6)
int vfio_iova_refuse(struct vfio_iova_container *c, enum vfio_iova_op op, int err,
		     enum vfio_iova_why why, const char *fmt, ...);
const char *vfio_iova_op_name(enum vfio_iova_op op);
const char *vfio_iova_why_name(enum vfio_iova_why why);

/* debugfs.c */
void vfio_iova_debugfs_init(void);
void vfio_iova_debugfs_exit(void);
void vfio_iova_debugfs_add(struct vfio_iova_container *c);
void vfio_iova_debugfs_remove(struct vfio_iova_container *c);

#endif /* VFIO_IOVA_INTERNAL_H */
