// SPDX-License-Identifier: GPL-2.0
/*
 * The mappings of a container: an rb-tree of struct vfio_iova_dma keyed by
 * IOVA, with no two entries overlapping.  Every range is handled with its
 * inclusive last IOVA, never with iova + size, so a mapping that ends at the
 * top of the address space (last == U64_MAX) behaves like any other.  This
 * is where Debian's 6.1/6.12 stock backend differs from mainline: it
 * computes iova + size, which wraps to 0 there.
 *
 * All functions here are called with the container lock held, except the
 * two entry points vfio_iova_do_map() and vfio_iova_do_unmap().
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/ratelimit.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "internal.h"

/* Any mapping that overlaps [iova, last]. */
struct vfio_iova_dma *vfio_iova_find_dma(struct vfio_iova_container *c, u64 iova, u64 last)
{
	struct rb_node *n = c->dmas.rb_node;

	while (n) {
		struct vfio_iova_dma *dma = rb_entry(n, struct vfio_iova_dma, node);

		if (last < dma->iova)
			n = n->rb_left;
		else if (iova > vfio_iova_dma_last(dma))
			n = n->rb_right;
		else
			return dma;
	}
	return NULL;
}

/* The lowest mapping that overlaps [iova, last]. */
struct vfio_iova_dma *vfio_iova_first_dma(struct vfio_iova_container *c, u64 iova, u64 last)
{
	struct rb_node *n = c->dmas.rb_node;
	struct vfio_iova_dma *found = NULL;

	while (n) {
		struct vfio_iova_dma *dma = rb_entry(n, struct vfio_iova_dma, node);

		if (iova <= vfio_iova_dma_last(dma)) {
			found = dma;		/* a candidate; look for lower ones */
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found && found->iova <= last ? found : NULL;
}

/* The mapping after @dma, if it overlaps [.., last]. */
struct vfio_iova_dma *vfio_iova_next_dma(struct vfio_iova_dma *dma, u64 last)
{
	struct rb_node *n = rb_next(&dma->node);

	dma = n ? rb_entry(n, struct vfio_iova_dma, node) : NULL;
	return dma && dma->iova <= last ? dma : NULL;
}

static void vfio_iova_link_dma(struct vfio_iova_container *c, struct vfio_iova_dma *new)
{
	struct rb_node **link = &c->dmas.rb_node, *parent = NULL;

	while (*link) {
		struct vfio_iova_dma *dma = rb_entry(*link, struct vfio_iova_dma, node);

		parent = *link;
		link = new->iova < dma->iova ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&new->node, parent, link);
	rb_insert_color(&new->node, &c->dmas);
}

static void vfio_iova_free_dma(struct vfio_iova_dma *dma)
{
	vfio_iova_bitmap_free(dma);
	vfio_iova_runs_free(dma);
	put_task_struct(dma->task);
	mmdrop(dma->mm);
	kfree(dma);
}

/* Unmap, unpin, unaccount and forget one mapping; returns its size. */
static u64 vfio_iova_remove_dma(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	u64 size = dma->size;

	/* Emulated pins first: then the domain unpin uncharges every page. */
	vfio_iova_put_all_vpfns(c, dma);
	vfio_iova_unmap_unpin(c, dma);
	rb_erase(&dma->node, &c->dmas);
	if (dma->vaddr_invalid)
		c->vaddr_invalid_count--;
	vfio_iova_free_dma(dma);
	c->dma_avail++;
	WRITE_ONCE(c->nr_dmas, c->nr_dmas - 1);
	return size;
}

void vfio_iova_remove_all(struct vfio_iova_container *c)
{
	struct rb_node *n;

	while ((n = rb_first(&c->dmas)))
		vfio_iova_remove_dma(c, rb_entry(n, struct vfio_iova_dma, node));
}

static unsigned long vfio_iova_pgsize(struct vfio_iova_container *c)
{
	return 1UL << vfio_iova_pgshift(c);
}

/* A map outside the valid ranges: say which hole it falls into. */
static int vfio_iova_refuse_range(struct vfio_iova_container *c, u64 iova, u64 last)
{
	char why[160];
	u64 gap = iova;

	iova_ranges_first_gap(&c->valid, iova, last, &gap, NULL);
	vfio_iova_explain(c, gap, why, sizeof(why));
	return vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -EINVAL, VFIO_IOVA_WHY_RANGE,
				"[%#llx-%#llx]: %s", iova, last, why);
}

/* Which of a request's numbers is not a multiple of the page size. */
static int vfio_iova_refuse_misaligned(struct vfio_iova_container *c, enum vfio_iova_op op,
				       u64 iova, u64 size, u64 vaddr)
{
	u64 mask = vfio_iova_pgsize(c) - 1;
	const char *what = iova & mask ? "iova" : size & mask ? "size" : "vaddr";
	u64 v = iova & mask ? iova : size & mask ? size : vaddr;

	return vfio_iova_refuse(c, op, -EINVAL, VFIO_IOVA_WHY_MISALIGNED,
				"%s %#llx is not a multiple of the IOMMU page size %#llx",
				what, v, mask + 1);
}

int vfio_iova_do_map(struct vfio_iova_container *c, u64 iova, u64 size,
		     unsigned long vaddr, int prot)
{
	u64 last = iova + size - 1;	/* the caller checked for overflow */
	struct vfio_iova_dma *dma;
	int ret = 0;

	mutex_lock(&c->lock);
	if ((size | iova | vaddr) & (vfio_iova_pgsize(c) - 1)) {
		ret = vfio_iova_refuse_misaligned(c, VFIO_IOVA_OP_MAP, iova, size, vaddr);
		goto out;
	}
	dma = vfio_iova_find_dma(c, iova, last);
	if (dma) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -EEXIST, VFIO_IOVA_WHY_OVERLAP,
				       "[%#llx-%#llx] overlaps mapping [%#llx-%#llx]", iova, last,
				       dma->iova, vfio_iova_dma_last(dma));
		goto out;
	}
	if (!c->dma_avail) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -ENOSPC, VFIO_IOVA_WHY_ENTRY_LIMIT,
				       "%u mappings exist, the dma_entry_limit the container was opened with",
				       c->nr_dmas);
		goto out;
	}
	if (!vfio_iova_valid(c, iova, last)) {
		ret = vfio_iova_refuse_range(c, iova, last);
		goto out;
	}

	dma = VFIO_IOVA_INJECT(kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT), NULL);
	if (!dma) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -ENOMEM, VFIO_IOVA_WHY_NO_MEMORY,
				       "no memory for a mapping");
		goto out;
	}
	dma->iova = iova;
	dma->vaddr = vaddr;
	dma->prot = prot;
	dma->lock_cap = capable(CAP_IPC_LOCK);
	get_task_struct(current->group_leader);
	dma->task = current->group_leader;
	mmgrab(current->mm);
	dma->mm = current->mm;

	/* Without an IOMMU domain there is nothing to pin or map into. */
	if (vfio_iova_has_domain(c)) {
		ret = vfio_iova_pin_map(c, dma, size, VFIO_IOVA_OP_MAP);
		if (ret) {
			vfio_iova_unmap_unpin(c, dma);
			vfio_iova_free_dma(dma);
			goto out;
		}
	} else {
		dma->size = size;
	}
	if (c->dirty_tracking) {
		ret = vfio_iova_bitmap_alloc(c, dma);
		if (ret) {
			vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, ret, VFIO_IOVA_WHY_NO_MEMORY,
					 "no memory for the dirty bitmap of %#llx bytes", size);
			vfio_iova_unmap_unpin(c, dma);
			vfio_iova_free_dma(dma);
			goto out;
		}
	}
	vfio_iova_link_dma(c, dma);
	c->dma_avail--;
	WRITE_ONCE(c->nr_dmas, c->nr_dmas + 1);
	c->stats.maps++;
out:
	mutex_unlock(&c->lock);
	return ret;
}

/*
 * Live update, first half: the mappings in [iova, last] keep their pages
 * but their user addresses become invalid until VFIO_DMA_MAP_FLAG_VADDR
 * gives new ones.  Invalidating one twice undoes the whole call.
 */
static int vfio_iova_invalidate_vaddrs(struct vfio_iova_container *c, u64 iova, u64 last,
				       u64 *count)
{
	struct vfio_iova_dma *first = vfio_iova_first_dma(c, iova, last), *dma;
	struct rb_node *n;

	for (n = first ? &first->node : NULL; n; n = rb_next(n)) {
		dma = rb_entry(n, struct vfio_iova_dma, node);
		if (dma->iova > last || (!c->v2 && dma->iova < iova))
			break;
		if (dma->vaddr_invalid) {
			struct rb_node *undo;

			for (undo = &first->node; undo != n; undo = rb_next(undo)) {
				rb_entry(undo, struct vfio_iova_dma, node)->vaddr_invalid = false;
				c->vaddr_invalid_count--;
			}
			*count = 0;
			return vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EINVAL, VFIO_IOVA_WHY_STATE,
						"the vaddr of mapping [%#llx-%#llx] is invalid already",
						dma->iova, vfio_iova_dma_last(dma));
		}
		dma->vaddr_invalid = true;
		c->vaddr_invalid_count++;
		*count += dma->size;
	}
	return 0;
}

/*
 * Live update, second half: the exact mapping [iova, iova + size) gets
 * its new user address, and its locked memory is charged to the caller's
 * process from now on.
 */
int vfio_iova_update_vaddr(struct vfio_iova_container *c, u64 iova, u64 size,
			   unsigned long vaddr)
{
	struct task_struct *task = current->group_leader;
	struct vfio_iova_dma *dma;
	bool lock_cap;
	int ret = -EINVAL;

	mutex_lock(&c->lock);
	if ((size | iova | vaddr) & (vfio_iova_pgsize(c) - 1)) {
		ret = vfio_iova_refuse_misaligned(c, VFIO_IOVA_OP_MAP, iova, size, vaddr);
		goto out;
	}
	dma = vfio_iova_find_dma(c, iova, iova + size - 1);
	if (!dma) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -ENOENT, VFIO_IOVA_WHY_NOT_MAPPED,
				       "new vaddr for [%#llx-%#llx]: no mapping there", iova,
				       iova + size - 1);
		goto out;
	}
	if (dma->iova != iova || dma->size != size) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -EINVAL, VFIO_IOVA_WHY_SPLIT,
				       "new vaddr for [%#llx-%#llx]: not exactly mapping [%#llx-%#llx]",
				       iova, iova + size - 1, dma->iova, vfio_iova_dma_last(dma));
		goto out;
	}
	if (!dma->vaddr_invalid) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_MAP, -EINVAL, VFIO_IOVA_WHY_STATE,
				       "new vaddr for [%#llx-%#llx]: its vaddr was not invalidated",
				       iova, iova + size - 1);
		goto out;
	}
	if (current->mm != dma->mm) {
		lock_cap = capable(CAP_IPC_LOCK);
		ret = vfio_iova_account_mm(current->mm, task, lock_cap, dma->locked);
		if (ret) {
			vfio_iova_refuse_memlock(c, VFIO_IOVA_OP_MAP, ret, current->mm, task,
						 dma->locked);
			goto out;
		}
		vfio_iova_account_mm(dma->mm, dma->task, dma->lock_cap, -(long)dma->locked);
		put_task_struct(dma->task);
		dma->task = get_task_struct(task);
		mmdrop(dma->mm);
		mmgrab(current->mm);
		dma->mm = current->mm;
		dma->lock_cap = lock_cap;
	}
	dma->vaddr = vaddr;
	dma->vaddr_invalid = false;
	c->vaddr_invalid_count--;
	ret = 0;
out:
	mutex_unlock(&c->lock);
	return ret;
}

/*
 * Unmap [iova, iova + size), or everything with @all.  Type1v2 refuses to
 * split a mapping; type1 (v1) removes whole mappings that start inside the
 * range and stops at one that starts before it.  *@unmapped is the number
 * of bytes removed, which clients compare with what they asked for.
 */
int vfio_iova_do_unmap(struct vfio_iova_container *c, u64 iova, u64 size,
		       bool all, bool invalidate_vaddr, struct vfio_bitmap *dirty,
		       u64 *unmapped)
{
	struct vfio_iova_dma *dma, *next, *first;
	u64 last, pgmask;
	int ret = -EINVAL;

	*unmapped = 0;
	mutex_lock(&c->lock);
	/* Emulated users could not pin while vaddrs are being updated. */
	if (invalidate_vaddr && !list_empty(&c->emulated)) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EBUSY, VFIO_IOVA_WHY_STATE,
				       "no live update with emulated groups attached");
		goto out;
	}
again:
	pgmask = vfio_iova_pgsize(c) - 1;
	if (iova & pgmask) {
		ret = vfio_iova_refuse_misaligned(c, VFIO_IOVA_OP_UNMAP, iova, 0, 0);
		goto out;
	}
	if (all) {
		if (iova || size) {
			ret = vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EINVAL,
					       VFIO_IOVA_WHY_ARGUMENT,
					       "ALL with iova %#llx and size %#llx, not 0", iova,
					       size);
			goto out;
		}
		last = U64_MAX;
	} else {
		if (!size) {
			ret = vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EINVAL,
					       VFIO_IOVA_WHY_ARGUMENT, "size is 0");
			goto out;
		}
		if (size & pgmask) {
			ret = vfio_iova_refuse_misaligned(c, VFIO_IOVA_OP_UNMAP, 0, size, 0);
			goto out;
		}
		if (check_add_overflow(iova, size - 1, &last)) {
			ret = vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EOVERFLOW,
					       VFIO_IOVA_WHY_WRAPS, "iova %#llx + size %#llx wraps",
					       iova, size);
			goto out;
		}
	}

	/* The dirty bitmap must be in the smallest page size, and tracked. */
	if (dirty && !c->dirty_tracking) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EINVAL, VFIO_IOVA_WHY_STATE,
				       "GET_DIRTY_BITMAP: dirty tracking is not started");
		goto out;
	}
	if (dirty && dirty->pgsize != pgmask + 1) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EINVAL, VFIO_IOVA_WHY_MISALIGNED,
				       "bitmap page size %#llx is not the IOMMU page size %#llx",
				       dirty->pgsize, pgmask + 1);
		goto out;
	}

	/*
	 * A mapping that starts at @iova is the first to go; if it reaches
	 * @last, it is also the one to check there: one lookup for the
	 * common unmap of exactly one mapping.
	 */
	first = NULL;
	if (c->v2 && !all) {
		dma = vfio_iova_find_dma(c, iova, iova);
		if (dma && dma->iova == iova)
			first = dma;
		if (!dma || (first && vfio_iova_dma_last(dma) < last))
			dma = vfio_iova_find_dma(c, last, last);
		if (dma && (dma->iova < iova || vfio_iova_dma_last(dma) > last)) {
			ret = vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, -EINVAL, VFIO_IOVA_WHY_SPLIT,
					       "[%#llx-%#llx] would split mapping [%#llx-%#llx]",
					       iova, last, dma->iova, vfio_iova_dma_last(dma));
			goto out;
		}
	}

	if (invalidate_vaddr) {
		ret = vfio_iova_invalidate_vaddrs(c, iova, last, unmapped);
		goto out;
	}
	ret = 0;
	for (dma = first ?: vfio_iova_first_dma(c, iova, last); dma; dma = next) {
		next = vfio_iova_next_dma(dma, last);
		if (!c->v2 && dma->iova < iova)
			break;
		/* Emulated users drop their pins first; the lock was dropped. */
		if (!RB_EMPTY_ROOT(&dma->vpfns)) {
			ret = vfio_iova_notify_unmap(c, dma);
			if (ret)
				break;
			goto again;
		}
		if (dirty) {
			ret = vfio_iova_copy_dirty(c, dma, (u64 __user *)dirty->data, iova);
			if (ret) {
				vfio_iova_refuse(c, VFIO_IOVA_OP_UNMAP, ret, VFIO_IOVA_WHY_ARGUMENT,
						 "the dirty bitmap at %#lx cannot be written",
						 (unsigned long)dirty->data);
				break;
			}
		}
		*unmapped += vfio_iova_remove_dma(c, dma);
		c->stats.unmaps++;
	}
out:
	mutex_unlock(&c->lock);
	return ret;
}

/*
 * The first IOMMU domain @d arrives in a container whose mappings were made
 * without one (emulated groups only): pin them and map them into it.  @d is
 * on the domain list already.  On failure nothing stays pinned or mapped.
 */
static int vfio_iova_pin_all(struct vfio_iova_container *c)
{
	struct rb_node *n;
	int ret = 0;

	for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
		struct vfio_iova_dma *dma = rb_entry(n, struct vfio_iova_dma, node);
		u64 size = dma->size;

		dma->size = 0;
		ret = vfio_iova_pin_map(c, dma, size, VFIO_IOVA_OP_ATTACH);
		if (ret) {
			vfio_iova_unmap_unpin(c, dma);
			dma->size = size;
			break;
		}
	}
	if (ret)
		while ((n = rb_prev(n)))
			vfio_iova_unpin_keep(c, rb_entry(n, struct vfio_iova_dma, node));
	return ret;
}

/*
 * The last IOMMU domain goes while emulated groups stay: keep the
 * mappings, as their users know them, but unmap and unpin them.
 */
void vfio_iova_unpin_all(struct vfio_iova_container *c)
{
	struct rb_node *n;

	for (n = rb_first(&c->dmas); n; n = rb_next(n))
		vfio_iova_unpin_keep(c, rb_entry(n, struct vfio_iova_dma, node));
}

/*
 * Map every existing mapping into the new domain @d (not yet on the domain
 * list), reading the physical pages from a domain that already has them,
 * or pinning them if there was no domain so far.  On failure, @d is left
 * without any of them.
 */
int vfio_iova_replay(struct vfio_iova_container *c, struct vfio_iova_domain *d)
{
	struct vfio_iova_domain *from;
	struct rb_node *n;
	int ret = 0;

	if (RB_EMPTY_ROOT(&c->dmas))
		return 0;
	from = list_first_entry_or_null(&c->domains, struct vfio_iova_domain, next);
	if (!from) {
		list_add(&d->next, &c->domains);
		ret = vfio_iova_pin_all(c);
		list_del(&d->next);
		return ret;
	}

	for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
		struct vfio_iova_dma *dma = rb_entry(n, struct vfio_iova_dma, node);
		u64 done = 0;

		while (done < dma->size) {
			u64 iova = dma->iova + done;
			phys_addr_t phys;
			u64 len = vfio_iova_dma_run(dma, from->domain, done, &phys);

			if (WARN_ON(!phys)) {
				ret = -EFAULT;
				break;
			}
			ret = VFIO_IOVA_INJECT(vfio_iova_iommu_map(d->domain, iova, phys, len,
								   dma->prot | IOMMU_CACHE),
					       -ENOMEM);
			if (ret)
				break;
			done += len;
		}
		if (ret) {
			/* Undo this mapping's part and every earlier mapping. */
			if (done)
				iommu_unmap(d->domain, dma->iova, done);
			while ((n = rb_prev(n))) {
				dma = rb_entry(n, struct vfio_iova_dma, node);
				iommu_unmap(d->domain, dma->iova, dma->size);
			}
			return ret;
		}
	}
	return 0;
}
