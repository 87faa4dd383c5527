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

void vfio_iova_put_pfn(unsigned long pfn, int prot)
{
	if (vfio_iova_pfn_normal(pfn)) {
		struct page *page = pfn_to_page(pfn);

		unpin_user_pages_dirty_lock(&page, 1, prot & IOMMU_WRITE);
	}
}

/*
 * Does the domain pin of a page mapped at @iova charge locked_vm?  Only an
 * ordinary page (the caller checks), and not one an emulated user pinned
 * first.
 */
static bool vfio_iova_domain_charges(struct vfio_iova_dma *dma, u64 iova)
{
	return RB_EMPTY_ROOT(&dma->vpfns) || !vfio_iova_find_vpfn(dma, iova);
}

/*
 * How many of the domain pins of @npage ordinary pages at @iova charge
 * locked_vm: all of them, unless an emulated user pinned some first.
 */
static unsigned long vfio_iova_charges(struct vfio_iova_dma *dma, u64 iova, unsigned long npage)
{
	unsigned long i, charged = 0;

	if (RB_EMPTY_ROOT(&dma->vpfns))
		return npage;
	for (i = 0; i < npage; i++)
		charged += vfio_iova_domain_charges(dma, iova + ((u64)i << PAGE_SHIFT));
	return charged;
}

/*
 * The pages from @pfn (which has a struct page) to the end of its folio,
 * so that a THP or hugetlbfs page is looked at once, not per page.
 * *@normal says whether they are ordinary memory: only a small folio can
 * be a reserved page (the zero page, for one).
 */
static unsigned long vfio_iova_folio_left(unsigned long pfn, bool *normal)
{
	struct folio *folio = page_folio(pfn_to_page(pfn));

	*normal = folio_test_large(folio) || !PageReserved(&folio->page);
	return folio_pfn(folio) + folio_nr_pages(folio) - pfn;
}

/*
 * Unpin the @npage consecutive pfns from @pfn that the domains held at
 * @iova; returns how many of them were charged, for the caller to uncharge
 * in one go.  A run of ordinary pages is unpinned a folio at a time.
 */
static long vfio_iova_put_run(struct vfio_iova_dma *dma, u64 iova, unsigned long pfn,
			      unsigned long npage)
{
	unsigned long i, len, normal = 0;
	long charged = 0;
	bool ok;

	for (i = 0; i < npage; i += len) {
		len = 1;
		if (!pfn_valid(pfn + i))
			continue;
		len = min(npage - i, vfio_iova_folio_left(pfn + i, &ok));
		if (!ok)
			continue;
		normal += len;
		charged += vfio_iova_charges(dma, iova + ((u64)i << PAGE_SHIFT), len);
	}
	if (normal == npage) {
		unpin_user_page_range_dirty_lock(pfn_to_page(pfn), npage,
						 dma->prot & IOMMU_WRITE);
		return charged;
	}
	for (i = 0; i < npage; i++)
		vfio_iova_put_pfn(pfn + i, dma->prot);
	return charged;
}

/*
 * A reference that keeps @mm's address space alive for the caller, not
 * needed (nor taken) when it is the caller's own.
 */
static bool vfio_iova_mm_get(struct mm_struct *mm)
{
	return mm == current->mm || mmget_not_zero(mm);
}

static void vfio_iova_mm_put(struct mm_struct *mm)
{
	if (mm != current->mm)
		mmput(mm);
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
	if (!vfio_iova_mm_get(mm))
		return -ESRCH;	/* the process is gone, and its locked_vm */
	/*
	 * Only a charge may give up on a fatal signal: the pages it was for
	 * are then not kept.  An uncharge must happen, or the owner's
	 * locked_vm keeps pages that are gone (a killed process unmapping
	 * another's mapping; the stock backend leaks it there).
	 */
	if (npage > 0) {
		ret = mmap_write_lock_killable(mm);
		if (ret)
			goto out;
	} else {
		mmap_write_lock(mm);
	}
	ret = __account_locked_vm(mm, abs(npage), npage > 0, task, lock_cap);
	mmap_write_unlock(mm);
out:
	vfio_iova_mm_put(mm);
	return ret;
}

static void vfio_iova_refuse_iommu(struct vfio_iova_container *c, enum vfio_iova_op op,
				   int err, struct vfio_iova_dma *dma, u64 size)
{
	vfio_iova_refuse(c, op, err, VFIO_IOVA_WHY_IOMMU,
			 "mapping [%#llx-%#llx]: the IOMMU driver refused to map it (%pe)",
			 dma->iova, dma->iova + size - 1, ERR_PTR(err));
}

/* Say why charging @npage pages to @mm failed with @err. */
int vfio_iova_refuse_memlock(struct vfio_iova_container *c, enum vfio_iova_op op, int err,
			     struct mm_struct *mm, struct task_struct *task, long npage)
{
	if (err != -ENOMEM)
		return vfio_iova_refuse(c, op, err, VFIO_IOVA_WHY_STATE,
					"%ld pages could not be charged: the process is exiting",
					npage);
	return vfio_iova_refuse(c, op, err, VFIO_IOVA_WHY_MEMLOCK,
				"%lu kB more locked memory needed; pid %d has %lu kB locked, RLIMIT_MEMLOCK is %lu kB",
				npage << (PAGE_SHIFT - 10), task_tgid_nr(task),
				READ_ONCE(mm->locked_vm) << (PAGE_SHIFT - 10),
				task_rlimit(task, RLIMIT_MEMLOCK) >> 10);
}

/*
 * The same for the owner of @dma, keeping dma->locked and the container's
 * total (read without its lock, by debugfs) in step.
 */
int vfio_iova_account(struct vfio_iova_container *c, struct vfio_iova_dma *dma, long npage)
{
	int ret = vfio_iova_account_mm(dma->mm, dma->task, dma->lock_cap, npage);

	if (!ret) {
		dma->locked += npage;
		WRITE_ONCE(c->locked, c->locked + npage);
	}
	return ret;
}

/*
 * The pfn of a VM_PFNMAP page at @vaddr (a device BAR mapped by the user),
 * faulting it in if needed.  Only memory without a struct page or reserved
 * pages may be mapped this way, and only from VM_PFNMAP mappings, as the
 * stock backend does: a VM_MIXEDMAP one can hold pages whose lifetime a
 * reference would have to pin.
 */
static int vfio_iova_pfnmap(struct mm_struct *mm, unsigned long vaddr, bool write,
			    unsigned long *pfn)
{
	struct vm_area_struct *vma = vma_lookup(mm, vaddr);
	bool writable = false;
	int ret;

	if (!vma || !(vma->vm_flags & VM_PFNMAP))
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
 * May @dma's user memory from @vaddr, @npage pages, be pinned with the
 * lockless walk?  Only the caller's own, and only where the slow walk
 * would pin it too: it refuses VM_IO and VM_PFNMAP mappings (-EFAULT,
 * then the PFNMAP path decides), the lockless one does not look at the
 * mapping.  Checked once per map; a mapping changed meanwhile can only
 * give pages that are pinned all the same.
 */
static bool vfio_iova_pin_fast_ok(struct vfio_iova_dma *dma, unsigned long vaddr,
				  unsigned long npage)
{
	unsigned long end = vaddr + (npage << PAGE_SHIFT);
	struct vm_area_struct *vma;
	bool ok = true;

	if (dma->mm != current->mm)
		return false;
	mmap_read_lock(dma->mm);
	while (ok && vaddr < end) {
		vma = find_vma(dma->mm, vaddr);
		ok = vma && vma->vm_start <= vaddr && !(vma->vm_flags & (VM_IO | VM_PFNMAP));
		if (ok)
			vaddr = vma->vm_end;
	}
	mmap_read_unlock(dma->mm);
	return ok;
}

/*
 * Pin up to @n pages at @vaddr into @pages; returns how many, or an errno.
 * Falls back to a single PFNMAP page where pinning is not possible: then
 * pages[0] is NULL and *@pfnmap its pfn.  With @fast (see
 * vfio_iova_pin_fast_ok()), the lockless walk, which takes no mmap lock
 * and a huge page's pages in one step, is tried first.
 */
long vfio_iova_pin(struct vfio_iova_dma *dma, unsigned long vaddr, unsigned long n,
		   struct page **pages, unsigned long *pfnmap, bool fast)
{
	unsigned int flags = FOLL_LONGTERM | (dma->prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	struct mm_struct *mm = dma->mm;
	long ret;

	if (fast) {
		ret = VFIO_IOVA_INJECT(pin_user_pages_fast(vaddr, n, flags, pages), -ENOMEM);
		if (ret && ret != -EFAULT)
			return ret;
	}
	if (!vfio_iova_mm_get(mm))
		return -ENODEV;
again:
	mmap_read_lock(mm);
	ret = VFIO_IOVA_INJECT(vfio_iova_pin_remote(mm, vaddr, n, flags, pages), -ENOMEM);
	if (ret == -EFAULT || !ret) {
		pages[0] = NULL;
		ret = vfio_iova_pfnmap(mm, vaddr, dma->prot & IOMMU_WRITE, pfnmap);
		if (ret == -EAGAIN) {
			mmap_read_unlock(mm);
			goto again;
		}
		if (!ret)
			ret = 1;
	}
	mmap_read_unlock(mm);
	vfio_iova_mm_put(mm);
	return ret;
}

/*
 * The bitmap of run starts for a mapping of @npage pages, zeroed: a word
 * in the mapping for small ones.  Without memory for it, runs are found
 * by walking the first domain, as before there was one: slower, not wrong.
 */
static void vfio_iova_runs_init(struct vfio_iova_dma *dma, unsigned long npage)
{
	if (npage <= BITS_PER_LONG) {
		dma->runs = &dma->runs_small;
		dma->runs_small = 0;
		return;
	}
	if (!dma->runs)
		dma->runs = VFIO_IOVA_INJECT(kvcalloc(BITS_TO_LONGS(npage), sizeof(long),
						      GFP_KERNEL_ACCOUNT), NULL);
	else
		bitmap_zero(dma->runs, npage);
}

void vfio_iova_runs_free(struct vfio_iova_dma *dma)
{
	if (dma->runs != &dma->runs_small)
		kvfree(dma->runs);
	dma->runs = NULL;
}

/* A run given to the domains starts at byte @offset of @dma. */
static void vfio_iova_run_starts(struct vfio_iova_dma *dma, u64 offset)
{
	if (dma->runs)
		__set_bit(offset >> PAGE_SHIFT, dma->runs);
}

/*
 * Map @npage pages from @pfn at the end of what @dma has mapped so far, in
 * every domain or in none, and count them in dma->size.
 */
static int vfio_iova_map_run(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			     unsigned long pfn, unsigned long npage)
{
	u64 iova = dma->iova + dma->size, len = (u64)npage << PAGE_SHIFT;
	struct vfio_iova_domain *d;
	int ret;

	list_for_each_entry(d, &c->domains, next) {
		ret = VFIO_IOVA_INJECT(vfio_iova_iommu_map(d->domain, iova, PFN_PHYS(pfn), len,
							   dma->prot | IOMMU_CACHE),
				       -ENOMEM);
		if (ret) {
			struct vfio_iova_domain *undo;

			list_for_each_entry(undo, &c->domains, next) {
				if (undo == d)
					break;
				iommu_unmap(undo->domain, iova, len);
			}
			return ret;
		}
	}
	vfio_iova_run_starts(dma, dma->size);
	dma->size += len;
	return 0;
}

/* A physically contiguous run of pinned pages (or one PFNMAP page) at @iova. */
struct vfio_iova_run {
	u64 iova;
	unsigned long pfn;
	unsigned long npage;
};

/*
 * Batches of pages pinned by one pin_user_pages_remote() call, the runs
 * they make, and a scatterlist to map the runs with.  A few of each are on
 * the stack: enough for small mappings (the common case of a driver
 * mapping its rings and buffers page by page) and for the runs of huge
 * pages, which a batch of a page of page pointers spans in one or two.
 * Arrays for as many runs as pages are allocated only when the pages turn
 * out to be fragmented, once per map.
 */
#define VFIO_IOVA_BATCH		(PAGE_SIZE / sizeof(struct page *))
#define VFIO_IOVA_SMALL_BATCH	8

struct vfio_iova_batch {
	struct page **pages;
	struct vfio_iova_run *runs;
	struct scatterlist *sg;		/* a run before the batch's, then its runs */
	unsigned long capacity;		/* pages */
	unsigned long runs_capacity;	/* runs, and one more scatterlist entry */
	struct page *small_pages[VFIO_IOVA_SMALL_BATCH];
	struct vfio_iova_run small_runs[VFIO_IOVA_SMALL_BATCH];
	struct scatterlist small_sg[VFIO_IOVA_SMALL_BATCH + 1];
};

static int vfio_iova_batch_init(struct vfio_iova_batch *b, unsigned long npage)
{
	b->runs = b->small_runs;
	b->sg = b->small_sg;
	b->runs_capacity = VFIO_IOVA_SMALL_BATCH;
	if (npage <= VFIO_IOVA_SMALL_BATCH) {
		b->pages = b->small_pages;
		b->capacity = VFIO_IOVA_SMALL_BATCH;
		return 0;
	}
	b->capacity = VFIO_IOVA_BATCH;
	b->pages = VFIO_IOVA_INJECT(kmalloc_array(b->capacity, sizeof(*b->pages), GFP_KERNEL),
				    NULL);
	return b->pages ? 0 : -ENOMEM;
}

/* Room for a run per page of the batch, keeping the first @nr runs. */
static int vfio_iova_batch_grow(struct vfio_iova_batch *b, unsigned long nr)
{
	struct vfio_iova_run *runs;
	struct scatterlist *sg;

	runs = VFIO_IOVA_INJECT(kmalloc_array(b->capacity, sizeof(*runs), GFP_KERNEL), NULL);
	sg = VFIO_IOVA_INJECT(kmalloc_array(b->capacity + 1, sizeof(*sg), GFP_KERNEL), NULL);
	if (!runs || !sg) {
		kfree(runs);
		kfree(sg);
		return -ENOMEM;
	}
	memcpy(runs, b->runs, nr * sizeof(*runs));
	b->runs = runs;
	b->sg = sg;
	b->runs_capacity = b->capacity;
	return 0;
}

static void vfio_iova_batch_fini(struct vfio_iova_batch *b)
{
	if (b->pages != b->small_pages)
		kfree(b->pages);
	if (b->runs != b->small_runs) {
		kfree(b->runs);
		kfree(b->sg);
	}
}

/* Unpin runs, returning how many of their pages were charged. */
static long vfio_iova_put_runs(struct vfio_iova_dma *dma, struct vfio_iova_run *runs,
			       unsigned long nr)
{
	long charged = 0;
	unsigned long k;

	for (k = 0; k < nr; k++)
		charged += vfio_iova_put_run(dma, runs[k].iova, runs[k].pfn, runs[k].npage);
	return charged;
}

/*
 * Cut the @n pages pinned at @iova into physically contiguous runs, in
 * b->runs, looking at each folio once: how many runs in *@nr, and in
 * *@charge how many pages the domains charge.  Without memory for the
 * runs, every page is unpinned and -ENOMEM returned.
 */
static int vfio_iova_batch_runs(struct vfio_iova_dma *dma, struct vfio_iova_batch *b,
				u64 iova, unsigned long n, unsigned long *nr, long *charge)
{
	struct vfio_iova_run *r = NULL;
	unsigned long i, len, max, pfn;
	bool normal;

	*nr = 0;
	*charge = 0;
	for (i = 0; i < n; i += len) {
		pfn = page_to_pfn(b->pages[i]);
		max = min(n - i, vfio_iova_folio_left(pfn, &normal));
		if (vfio_iova_disable_hugepages)
			max = 1;
		for (len = 1; len < max && page_to_pfn(b->pages[i + len]) == pfn + len; len++)
			;
		if (normal)
			*charge += vfio_iova_charges(dma, iova + ((u64)i << PAGE_SHIFT), len);
		if (r && r->pfn + r->npage == pfn && !vfio_iova_disable_hugepages) {
			r->npage += len;
			continue;
		}
		if (*nr == b->runs_capacity && vfio_iova_batch_grow(b, *nr)) {
			vfio_iova_put_runs(dma, b->runs, *nr);
			unpin_user_pages_dirty_lock(&b->pages[i], n - i, dma->prot & IOMMU_WRITE);
			*nr = 0;
			*charge = 0;
			return -ENOMEM;
		}
		r = &b->runs[(*nr)++];
		*r = (struct vfio_iova_run){ .iova = iova + ((u64)i << PAGE_SHIFT), .pfn = pfn,
					     .npage = len };
	}
	return 0;
}

/*
 * With disable_hugepages, each page is a run of its own even where pages
 * are contiguous: a scatterlist would join them again, into IOMMU pages
 * that an unmap of one of them takes whole.  Map the @nr runs one by one,
 * all or none.
 */
static int vfio_iova_map_each(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			      struct vfio_iova_run *runs, unsigned long nr)
{
	u64 start = dma->size, len;
	struct vfio_iova_domain *d;
	unsigned long k;
	int ret = 0;

	for (k = 0; k < nr; k++) {
		ret = vfio_iova_map_run(c, dma, runs[k].pfn, runs[k].npage);
		if (ret)
			break;
	}
	len = dma->size - start;
	if (ret && len) {
		list_for_each_entry(d, &c->domains, next)
			iommu_unmap(d->domain, dma->iova + start, len);
		dma->size = start;
	}
	return ret;
}

/* A run longer than this is mapped by itself, not through a scatterlist. */
#define VFIO_IOVA_SG_MAX_PAGES	(SZ_1G >> PAGE_SHIFT)

/*
 * Map @head (if it has pages) and the @nr runs that follow it, at the end
 * of what @dma has mapped so far, in every domain or in none, with one
 * IOTLB sync per domain for all of them (a virtual IOMMU traps every
 * sync); @head is emptied once it is mapped.  A PFNMAP page has no struct
 * page for a scatterlist, so it is mapped by itself, as is a long run
 * (the longest a scatterlist entry takes is 4 GiB).
 */
static int vfio_iova_map_runs(struct vfio_iova_container *c, struct vfio_iova_dma *dma,
			      struct vfio_iova_run *head, struct vfio_iova_run *runs,
			      unsigned long nr, struct scatterlist *sg)
{
	u64 iova, len = 0;
	struct vfio_iova_domain *d;
	struct scatterlist *s;
	unsigned long k, nents;
	ssize_t mapped;
	int ret;

	if (head->npage && (!nr || !pfn_valid(head->pfn) || vfio_iova_disable_hugepages ||
			    head->npage > VFIO_IOVA_SG_MAX_PAGES)) {
		ret = vfio_iova_map_run(c, dma, head->pfn, head->npage);
		if (ret)
			return ret;
		head->npage = 0;
	}
	if (!head->npage && nr <= 1)
		return nr ? vfio_iova_map_run(c, dma, runs[0].pfn, runs[0].npage) : 0;
	if (vfio_iova_disable_hugepages)
		return vfio_iova_map_each(c, dma, runs, nr);

	nents = nr + !!head->npage;
	sg_init_table(sg, nents);
	s = sg;
	if (head->npage) {
		sg_set_page(s, pfn_to_page(head->pfn), head->npage << PAGE_SHIFT, 0);
		len = (u64)head->npage << PAGE_SHIFT;
		s = sg_next(s);
	}
	for (k = 0; k < nr; k++, s = sg_next(s)) {
		sg_set_page(s, pfn_to_page(runs[k].pfn), runs[k].npage << PAGE_SHIFT, 0);
		len += (u64)runs[k].npage << PAGE_SHIFT;
	}

	iova = dma->iova + dma->size;
	list_for_each_entry(d, &c->domains, next) {
		mapped = VFIO_IOVA_INJECT(vfio_iova_iommu_map_sg(d->domain, iova, sg, nents,
								 dma->prot | IOMMU_CACHE),
					  -ENOMEM);
		if (mapped != len) {
			struct vfio_iova_domain *undo;

			if (mapped > 0)
				iommu_unmap(d->domain, iova, mapped);
			list_for_each_entry(undo, &c->domains, next) {
				if (undo == d)
					break;
				iommu_unmap(undo->domain, iova, len);
			}
			return mapped < 0 ? mapped : -EFAULT;
		}
	}
	if (head->npage)
		vfio_iova_run_starts(dma, dma->size);
	for (k = 0, len = (u64)head->npage << PAGE_SHIFT; k < nr; k++) {
		vfio_iova_run_starts(dma, dma->size + len);
		len += (u64)runs[k].npage << PAGE_SHIFT;
	}
	dma->size += len;
	head->npage = 0;
	return 0;
}

/*
 * Pin @size bytes of @dma's user memory and map them into every domain,
 * charging locked_vm.  Pinned pages are looked at a folio at a time;
 * physically contiguous pages are mapped as one run, across batches, so
 * the IOMMU driver can use its largest page sizes, and the runs a batch
 * completes are mapped together, with one IOTLB sync.  On failure
 * dma->size says how much is pinned and mapped; the caller undoes it with
 * vfio_iova_unmap_unpin().
 */
long vfio_iova_pin_map(struct vfio_iova_container *c, struct vfio_iova_dma *dma, u64 size,
		       enum vfio_iova_op op)
{
	unsigned long total = size >> PAGE_SHIFT, done = 0, nr, k;
	struct vfio_iova_run run = { 0 };	/* pinned and charged, not mapped */
	struct vfio_iova_batch b;
	bool fast;
	long ret;

	ret = vfio_iova_batch_init(&b, total);
	if (ret) {
		vfio_iova_refuse(c, op, ret, VFIO_IOVA_WHY_NO_MEMORY, "no memory for a pin batch");
		goto out;
	}
	vfio_iova_runs_init(dma, total);
	fast = vfio_iova_pin_fast_ok(dma, dma->vaddr, total);
	dma->iommu_mapped = true;

	while (done < total) {
		u64 iova = dma->iova + ((u64)done << PAGE_SHIFT);
		unsigned long pfnmap;
		long n, charge = 0;

		n = vfio_iova_pin(dma, dma->vaddr + (done << PAGE_SHIFT),
				  min(total - done, b.capacity), b.pages, &pfnmap, fast);
		if (n <= 0) {
			ret = n ?: -EFAULT;
			vfio_iova_refuse(c, op, ret, VFIO_IOVA_WHY_PIN,
					 "mapping [%#llx-%#llx]: vaddr %#lx could not be pinned (%pe)",
					 dma->iova, dma->iova + size - 1,
					 dma->vaddr + (done << PAGE_SHIFT), ERR_PTR(ret));
			break;
		}
		if (b.pages[0]) {
			ret = vfio_iova_batch_runs(dma, &b, iova, n, &nr, &charge);
			if (ret) {
				vfio_iova_refuse(c, op, ret, VFIO_IOVA_WHY_NO_MEMORY,
						 "no memory for the runs of a pin batch");
				break;
			}
		} else {	/* a PFNMAP page is not charged */
			b.runs[0] = (struct vfio_iova_run){
				.iova = iova, .pfn = pfnmap, .npage = 1,
			};
			nr = 1;
		}
		ret = vfio_iova_account(c, dma, charge);
		if (ret) {
			vfio_iova_refuse_memlock(c, op, ret, dma->mm, dma->task, charge);
			vfio_iova_put_runs(dma, b.runs, nr);
			break;
		}
		/* The pending run goes on into the batch, or is complete. */
		k = 0;
		if (run.npage && b.runs[0].pfn == run.pfn + run.npage &&
		    !vfio_iova_disable_hugepages) {
			run.npage += b.runs[0].npage;
			k = 1;
		}
		if (k < nr) {
			/* So are all of the batch's runs but its last. */
			ret = vfio_iova_map_runs(c, dma, &run, &b.runs[k], nr - k - 1, b.sg);
			if (ret) {
				vfio_iova_refuse_iommu(c, op, ret, dma, size);
				/* Not mapped: these, and the pending run (below). */
				charge = vfio_iova_put_runs(dma, &b.runs[k], nr - k);
				vfio_iova_account(c, dma, -charge);
				break;
			}
			run = b.runs[nr - 1];
		}
		done += n;
		cond_resched();
	}
	if (run.npage && !ret) {
		ret = vfio_iova_map_run(c, dma, run.pfn, run.npage);
		if (ret)
			vfio_iova_refuse_iommu(c, op, ret, dma, size);
	}
	if (run.npage && ret)
		vfio_iova_account(c, dma, -vfio_iova_put_run(dma, run.iova, run.pfn, run.npage));
out:
	vfio_iova_batch_fini(&b);
	return ret;
}

/*
 * The physical address of @iova in @domain (in *@phys, 0 if unmapped) and
 * the length, at most @max, of the physically contiguous run from there.
 */
static u64 vfio_iova_phys_run(struct iommu_domain *domain, u64 iova, u64 max, phys_addr_t *phys)
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
 * The physical address, in @domain, of @dma's page at byte @done (in
 * *@phys, 0 if unmapped) and the length of the physically contiguous run
 * from there to the end of the run the domains were given: one lookup
 * per run, with the run starts recorded when they were mapped.  The run's
 * last page is checked against its first; a mismatch would be a bug of
 * ours, and the pages are then walked one by one.
 */
u64 vfio_iova_dma_run(struct vfio_iova_dma *dma, struct iommu_domain *domain, u64 done,
		      phys_addr_t *phys)
{
	unsigned long first = done >> PAGE_SHIFT, next;
	u64 iova = dma->iova + done, len;

	if (!dma->runs)
		return vfio_iova_phys_run(domain, iova, dma->size - done, phys);
	next = find_next_bit(dma->runs, dma->size >> PAGE_SHIFT, first + 1);
	len = (u64)(next - first) << PAGE_SHIFT;
	*phys = iommu_iova_to_phys(domain, iova);
	if (!*phys || len == PAGE_SIZE ||
	    iommu_iova_to_phys(domain, iova + len - PAGE_SIZE) == *phys + len - PAGE_SIZE)
		return *phys ? len : PAGE_SIZE;
	WARN_ONCE(1, "run at %#llx is not contiguous\n", iova);
	return vfio_iova_phys_run(domain, iova, len, phys);
}

/*
 * Runs unmapped from a domain whose IOTLB may still hold them: their pages
 * stay pinned until iommu_iotlb_sync(), so a device never reaches a page
 * that went back to the user.  A page of them, or a few on the stack.
 */
#define VFIO_IOVA_SMALL_RUNS	4

struct vfio_iova_unmap_batch {
	struct iommu_iotlb_gather gather;
	struct vfio_iova_run *runs;
	unsigned int nr, capacity;
	struct vfio_iova_run small[VFIO_IOVA_SMALL_RUNS];
};

/* Sync the IOTLB of @domain, then unpin what it held; returns the charge. */
static long vfio_iova_unmap_flush(struct vfio_iova_dma *dma, struct iommu_domain *domain,
				  struct vfio_iova_unmap_batch *ub)
{
	long charged;

	if (!ub->nr)
		return 0;	/* nothing unmapped since the last sync */
	iommu_iotlb_sync(domain, &ub->gather);
	charged = vfio_iova_put_runs(dma, ub->runs, ub->nr);
	ub->nr = 0;
	return charged;
}

/*
 * iommu_unmap_fast(), which may unmap less than asked.  A fault-injection
 * point makes it do so: it then unmaps only the first half of a run.
 */
static size_t vfio_iova_unmap_fast(struct iommu_domain *domain, u64 iova, u64 len,
				   struct iommu_iotlb_gather *gather)
{
	if (len > PAGE_SIZE && VFIO_IOVA_INJECT(false, true))
		len = round_down(len / 2, PAGE_SIZE);
	return iommu_unmap_fast(domain, iova, len, gather);
}

/*
 * Look up the runs of @dma from byte *@done while @domain still maps them,
 * as many as @ub holds, stopping short of an unmapped page; advances
 * *@done past them.
 */
static void vfio_iova_unmap_lookup(struct vfio_iova_dma *dma, struct iommu_domain *domain,
				   struct vfio_iova_unmap_batch *ub, u64 *done)
{
	while (*done < dma->size && ub->nr < ub->capacity) {
		phys_addr_t phys;
		u64 len = vfio_iova_dma_run(dma, domain, *done, &phys);

		if (!phys)
			return;
		ub->runs[ub->nr++] = (struct vfio_iova_run) {
			.iova = dma->iova + *done, .pfn = PHYS_PFN(phys),
			.npage = len >> PAGE_SHIFT,
		};
		*done += len;
	}
}

/*
 * Keep of @ub's runs only the first @len bytes, which the IOMMU unmapped:
 * the rest is still mapped, and stays pinned until a later round.
 */
static void vfio_iova_unmap_trim(struct vfio_iova_unmap_batch *ub, u64 len)
{
	unsigned long left = len >> PAGE_SHIFT;
	unsigned int k;

	for (k = 0; k < ub->nr && left; k++) {
		ub->runs[k].npage = min(ub->runs[k].npage, left);
		left -= ub->runs[k].npage;
	}
	ub->nr = k;
}

/*
 * Remove @dma from every domain, unpin its pages and uncharge them.  The
 * physical pages are read back from the first domain, a batch of runs at a
 * time, before it forgets them; the batch's IOVA span is then unmapped in
 * one call and the IOTLB synced once.  The other domains are simply
 * unmapped.
 */
void vfio_iova_unmap_unpin(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	struct vfio_iova_unmap_batch ub = { .capacity = VFIO_IOVA_SMALL_RUNS };
	struct vfio_iova_domain *first, *d;
	long uncharge = 0;
	u64 done = 0;

	if (!dma->iommu_mapped || !dma->size)
		goto out;
	first = list_first_entry_or_null(&c->domains, struct vfio_iova_domain, next);
	if (WARN_ON(!first))
		goto out;
	list_for_each_entry(d, &c->domains, next)
		if (d != first)
			iommu_unmap(d->domain, dma->iova, dma->size);

	ub.runs = ub.small;
	if (dma->size > VFIO_IOVA_SMALL_RUNS * PAGE_SIZE) {
		ub.runs = VFIO_IOVA_INJECT(kmalloc(PAGE_SIZE, GFP_KERNEL), NULL);
		ub.capacity = PAGE_SIZE / sizeof(*ub.runs);
		if (!ub.runs) {		/* slower, not wrong */
			ub.runs = ub.small;
			ub.capacity = VFIO_IOVA_SMALL_RUNS;
		}
	}
	iommu_iotlb_gather_init(&ub.gather);
	while (done < dma->size) {
		u64 start = done, len;

		vfio_iova_unmap_lookup(dma, first->domain, &ub, &done);
		if (WARN_ON(!ub.nr)) {	/* a page we never mapped: a bug of ours */
			done += PAGE_SIZE;
			continue;
		}
		/*
		 * Unpin what the IOMMU unmapped, no more: the rest of a short
		 * unmap is still mapped, and the next round unmaps it.
		 */
		len = vfio_iova_unmap_fast(first->domain, dma->iova + start, done - start,
					   &ub.gather);
		if (len < done - start) {
			vfio_iova_unmap_trim(&ub, len);
			done = start + round_down(len, PAGE_SIZE);
		}
		if (WARN_ON(!ub.nr))
			break;	/* left pinned: better than a device reaching freed pages */
		uncharge += vfio_iova_unmap_flush(dma, first->domain, &ub);
		cond_resched();
	}
	if (ub.runs != ub.small)
		kfree(ub.runs);
out:
	/* If the owner exited, its locked_vm went with it. */
	if (vfio_iova_account(c, dma, -uncharge)) {
		WRITE_ONCE(c->locked, c->locked - dma->locked);
		dma->locked = 0;
	}
	dma->iommu_mapped = false;
}

/* Unmap and unpin @dma but keep it, whole, for when a domain comes back. */
void vfio_iova_unpin_keep(struct vfio_iova_container *c, struct vfio_iova_dma *dma)
{
	u64 size = dma->size;

	vfio_iova_unmap_unpin(c, dma);
	dma->size = size;
}
