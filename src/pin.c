// SPDX-License-Identifier: GPL-2.0
/*
 * Pinning user memory for DMA, mapping it into the container's IOMMU
 * domains, and charging it to the owner's locked_vm.
 *
 * Invariants:
 *  - A mapping's pages are pinned (FOLL_LONGTERM) exactly while they are
 *    mapped in the domains; dma->size covers what is pinned and mapped.
 *  - Pages backed by struct page that are not reserved are charged to
 *    dma->mm's locked_vm once (dma->locked counts them), however many
 *    times they are pinned; reserved pages and PFNMAP memory (device BARs)
 *    are neither pinned nor charged.
 *  - A page an emulated user pinned (in dma->vpfns) is charged by that pin
 *    if no domain held it then, and otherwise by the domain pin, which then
 *    leaves the charge behind when it goes: so domain pins charge and
 *    uncharge only pages outside dma->vpfns.
 *  - The physical pages of a mapping are read back from the first domain
 *    when it is unmapped, so nothing per page is stored here.
 */
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>

#include "internal.h"

/* Pages pinned by one pin_user_pages_remote() call. */
#define VFIO_IOVA_BATCH (PAGE_SIZE / sizeof(struct page *))

/* Is @pfn ordinary, pinnable and chargeable memory? */
bool vfio_iova_pfn_normal(unsigned long pfn)
{
	return pfn_valid(pfn) && !PageReserved(pfn_to_page(pfn));
}

void vfio_iova_put_pfn(unsigned long pfn, int prot)
{
	if (vfio_iova_pfn_normal(pfn)) {
		struct page *page = pfn_to_page(pfn);

		unpin_user_pages_dirty_lock(&page, 1, prot & IOMMU_WRITE);
	}
}

/*
 * Charge (@npage > 0) or uncharge (< 0) @mm's locked memory.  Uncharging
 * works after the owner exited (-ESRCH, nothing to do); charging enforces
 * @task's RLIMIT_MEMLOCK unless @lock_cap.
 */
int vfio_iova_account_mm(struct mm_struct *mm, struct task_struct *task, bool lock_cap,
			 long npage)
{
	int ret;

	if (!npage)
		return 0;
	if (!mmget_not_zero(mm))
		return -ESRCH;	/* the process is gone, and its locked_vm */
	ret = mmap_write_lock_killable(mm);
	if (!ret) {
		ret = __account_locked_vm(mm, abs(npage), npage > 0, task, lock_cap);
		mmap_write_unlock(mm);
	}
	mmput(mm);
	return ret;
}

/* The same for the owner of @dma, keeping dma->locked in step. */
int vfio_iova_account(struct vfio_iova_dma *dma, long npage)
{
	int ret = vfio_iova_account_mm(dma->mm, dma->task, dma->lock_cap, npage);

	if (!ret)
		dma->locked += npage;
	return ret;
}

/*
 * The pfn of a VM_IO/VM_PFNMAP page at @vaddr (a device BAR mapped by the
 * user), faulting it in if needed.  Only memory without a struct page or
 * reserved pages may be mapped this way.
 */
static int vfio_iova_pfnmap(struct mm_struct *mm, unsigned long vaddr, bool write,
			    unsigned long *pfn)
{
	struct vm_area_struct *vma = vma_lookup(mm, vaddr);
	bool writable = false;
	int ret;

	if (!vma || !(vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return -EFAULT;
	ret = vfio_iova_follow_pfn(vma, vaddr, pfn, &writable);
	if (ret) {
		bool unlocked = false;

		ret = fixup_user_fault(mm, vaddr, FAULT_FLAG_REMOTE |
				       (write ? FAULT_FLAG_WRITE : 0), &unlocked);
		if (ret)
			return ret;
		if (unlocked)
			return -EAGAIN;	/* the vma may have changed */
		ret = vfio_iova_follow_pfn(vma, vaddr, pfn, &writable);
		if (ret)
			return ret;
	}
	if (write && !writable)
		return -EFAULT;
	return vfio_iova_pfn_normal(*pfn) ? -EFAULT : 0;
}

/*
 * Pin up to @n pages at @vaddr into @pfns; returns how many, or an errno.
 * Falls back to a single PFNMAP page where pinning is not possible.
 */
long vfio_iova_pin(struct vfio_iova_dma *dma, unsigned long vaddr, unsigned long n,
		   struct page **pages, unsigned long *pfns)
{
	unsigned int flags = FOLL_LONGTERM | (dma->prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	struct mm_struct *mm = dma->mm;
	long ret, i;

	if (!mmget_not_zero(mm))
		return -ENODEV;
again:
	mmap_read_lock(mm);
	ret = vfio_iova_pin_remote(mm, vaddr, n, flags, pages);
	if (ret > 0) {
		for (i = 0; i < ret; i++)
			pfns[i] = page_to_pfn(pages[i]);
	} else if (ret == -EFAULT || !ret) {
		ret = vfio_iova_pfnmap(mm, vaddr, dma->prot & IOMMU_WRITE, &pfns[0]);
		if (ret == -EAGAIN) {
			mmap_read_unlock(mm);
			goto again;
		}
		if (!ret)
			ret = 1;
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}

/* Map one physically contiguous run into every domain, or into none. */
static int vfio_iova_map_run(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			     u64 iova, unsigned long pfn, unsigned long npage)
{
	struct vfio_iova_domain *d;
	int ret;

	list_for_each_entry(d, &c->domains, next) {
		ret = vfio_iova_iommu_map(d->domain, iova, (phys_addr_t)pfn << PAGE_SHIFT,
					  npage << PAGE_SHIFT, dma->prot | IOMMU_CACHE);
		if (ret) {
			struct vfio_iova_domain *undo;

			list_for_each_entry(undo, &c->domains, next) {
				if (undo == d)
					break;
				iommu_unmap(undo->domain, iova, npage << PAGE_SHIFT);
			}
			return ret;
		}
	}
	return 0;
}

/*
 * Pin @size bytes of @dma's user memory and map them into every domain,
 * in physically contiguous runs (so the IOMMU driver can use its largest
 * page sizes), charging locked_vm.  On failure dma->size says how much is
 * pinned and mapped; the caller undoes it with vfio_iova_unmap_unpin().
 */
long vfio_iova_pin_map(struct vfio_iova_container *c, struct vfio_iova_dma *dma, u64 size)
{
	unsigned long total = size >> PAGE_SHIFT, done = 0;
	struct page **pages;
	unsigned long *pfns;
	long ret = 0;

	pages = kmalloc_array(VFIO_IOVA_BATCH, sizeof(*pages), GFP_KERNEL);
	pfns = kmalloc_array(VFIO_IOVA_BATCH, sizeof(*pfns), GFP_KERNEL);
	if (!pages || !pfns) {
		ret = -ENOMEM;
		goto out;
	}
	dma->iommu_mapped = true;

	while (done < total) {
		long n, i, run, charge = 0;

		n = vfio_iova_pin(dma, dma->vaddr + (done << PAGE_SHIFT),
				  min_t(unsigned long, total - done, VFIO_IOVA_BATCH),
				  pages, pfns);
		if (n <= 0) {
			ret = n ?: -EFAULT;
			break;
		}
		for (i = 0; i < n; i++)
			charge += vfio_iova_pfn_normal(pfns[i]) &&
				  !vfio_iova_find_vpfn(dma, dma->iova + ((done + i) << PAGE_SHIFT));
		ret = vfio_iova_account(dma, charge);
		if (ret) {
			for (i = 0; i < n; i++)
				vfio_iova_put_pfn(pfns[i], dma->prot);
			break;
		}
		/* Map the batch in runs of consecutive pfns. */
		for (i = 0; i < n; i += run) {
			for (run = 1; i + run < n && !vfio_iova_disable_hugepages &&
			     pfns[i + run] == pfns[i] + run; run++)
				;
			ret = vfio_iova_map_run(c, dma, dma->iova + dma->size, pfns[i], run);
			if (ret)
				break;
			dma->size += (u64)run << PAGE_SHIFT;
		}
		if (ret) {
			/* Pages of this batch that never got mapped. */
			long uncharge = 0;

			for (; i < n; i++) {
				uncharge += vfio_iova_pfn_normal(pfns[i]) &&
					    !vfio_iova_find_vpfn(dma, dma->iova +
								 ((done + i) << PAGE_SHIFT));
				vfio_iova_put_pfn(pfns[i], dma->prot);
			}
			vfio_iova_account(dma, -uncharge);
			break;
		}
		done += n;
		cond_resched();
	}
out:
	kfree(pages);
	kfree(pfns);
	return ret;
}

/*
 * The physical address of @iova in @domain (in *@phys, 0 if unmapped) and
 * the length, at most @max, of the physically contiguous run from there.
 */
u64 vfio_iova_phys_run(struct iommu_domain *domain, u64 iova, u64 max, phys_addr_t *phys)
{
	u64 len = PAGE_SIZE;

	*phys = iommu_iova_to_phys(domain, iova);
	if (!*phys)
		return len;
	while (len < max && iommu_iova_to_phys(domain, iova + len) == *phys + len)
		len += PAGE_SIZE;
	return len;
}

/*
 * Remove @dma from every domain, unpin its pages and uncharge them.  The
 * physical pages are read back from the first domain before it forgets
 * them; the other domains are simply unmapped.
 */
void vfio_iova_unmap_unpin(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	struct vfio_iova_domain *first, *d;
	u64 done = 0;
	long uncharge = 0;

	if (!dma->iommu_mapped || !dma->size)
		goto out;
	first = list_first_entry_or_null(&c->domains, struct vfio_iova_domain, next);
	if (WARN_ON(!first))
		goto out;
	list_for_each_entry(d, &c->domains, next)
		if (d != first)
			iommu_unmap(d->domain, dma->iova, dma->size);

	while (done < dma->size) {
		u64 iova = dma->iova + done, len, i;
		phys_addr_t phys;

		len = vfio_iova_phys_run(first->domain, iova, dma->size - done, &phys);
		if (WARN_ON(!phys)) {
			done += PAGE_SIZE;
			continue;
		}
		WARN_ON(iommu_unmap(first->domain, iova, len) < len);
		for (i = 0; i < len >> PAGE_SHIFT; i++) {
			unsigned long pfn = (phys >> PAGE_SHIFT) + i;

			uncharge += vfio_iova_pfn_normal(pfn) &&
				    !vfio_iova_find_vpfn(dma, iova + (i << PAGE_SHIFT));
			vfio_iova_put_pfn(pfn, dma->prot);
		}
		done += len;
		cond_resched();
	}
out:
	/* If the owner exited, its locked_vm went with it. */
	if (vfio_iova_account(dma, -uncharge))
		dma->locked = 0;
	dma->iommu_mapped = false;
}

/* Unmap and unpin @dma but keep it, whole, for when a domain comes back. */
void vfio_iova_unpin_keep(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	u64 size = dma->size;

	vfio_iova_unmap_unpin(c, dma);
	dma->size = size;
}
