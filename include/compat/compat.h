/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included into every object of the module (see Kbuild), so that the
 * code under src/ never tests kernel versions itself.  Each kernel
 * difference gets one name here, chosen from what the target kernel was
 * verified (vfio_private.h) or probed (probes/, generated header) to have,
 * not from its version number.
 */
#ifndef VFIO_IOVA_COMPAT_H
#define VFIO_IOVA_COMPAT_H

/* Every message of the module carries its name. */
#define pr_fmt(fmt) "vfio-iommu-iova: " fmt

#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/irqdomain.h>
#include <linux/mm.h>
#include <linux/vfio.h>

#include "generated/vfio_iova_probes.h"
#include "vfio_private.h"

/* iommu_map(), charging page-table memory to the caller where possible. */
static inline int vfio_iova_iommu_map(struct iommu_domain *d, unsigned long iova,
				      phys_addr_t paddr, size_t size, int prot)
{
#if VFIO_IOVA_HAVE_IOMMU_MAP_GFP
	return iommu_map(d, iova, paddr, size, prot, GFP_KERNEL_ACCOUNT);
#else
	return iommu_map(d, iova, paddr, size, prot);
#endif
}

/*
 * iommu_map_sg(): the physically contiguous pieces of @sg mapped from
 * @iova, with one IOTLB sync for all of them.
 */
static inline ssize_t vfio_iova_iommu_map_sg(struct iommu_domain *d, unsigned long iova,
					     struct scatterlist *sg, unsigned int nents, int prot)
{
#if VFIO_IOVA_HAVE_IOMMU_MAP_SG_GFP
	return iommu_map_sg(d, iova, sg, nents, prot, GFP_KERNEL_ACCOUNT);
#else
	return iommu_map_sg(d, iova, sg, nents, prot);
#endif
}

/* The IOMMU unit that translates for @dev (same field on every line). */
static inline const struct iommu_device *vfio_iova_dev_iommu_unit(struct device *dev)
{
	return dev->iommu ? dev->iommu->iommu_dev : NULL;
}

/* A paging domain for @dev's IOMMU, or an ERR_PTR. */
static inline struct iommu_domain *vfio_iova_domain_alloc(struct device *dev)
{
#if VFIO_IOVA_HAVE_PAGING_DOMAIN_ALLOC
	return iommu_paging_domain_alloc(dev);
#else
	struct iommu_domain *d = iommu_domain_alloc(dev->bus);

	return d ?: ERR_PTR(-EIO);
#endif
}

#if !VFIO_IOVA_HAVE_GROUP_ISOLATED_MSI
static inline int vfio_iova_dev_intr_remap(struct device *dev, void *unused)
{
	return device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP);
}
#endif

/* Are MSIs from the group's devices isolated (interrupt remapping)? */
static inline bool vfio_iova_group_isolated_msi(struct iommu_group *group)
{
#if VFIO_IOVA_HAVE_GROUP_ISOLATED_MSI
	return iommu_group_has_isolated_msi(group);
#else
	return irq_domain_check_msi_remap() ||
	       iommu_group_for_each_dev(group, NULL, vfio_iova_dev_intr_remap);
#endif
}

/* pin_user_pages_remote() without the vmas argument some kernels have. */
static inline long vfio_iova_pin_remote(struct mm_struct *mm, unsigned long start,
					unsigned long nr_pages, unsigned int gup_flags,
					struct page **pages)
{
#if VFIO_IOVA_HAVE_PIN_REMOTE_NO_VMAS
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages, NULL);
#else
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages, NULL, NULL);
#endif
}

/*
 * The pfn mapped at @addr of a VM_PFNMAP @vma, and whether it is writable.
 * The caller holds the mmap lock.
 */
static inline int vfio_iova_follow_pfn(struct vm_area_struct *vma, unsigned long addr,
				       unsigned long *pfn, bool *writable)
{
#if VFIO_IOVA_HAVE_FOLLOW_PFNMAP
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int ret = follow_pfnmap_start(&args);

	if (ret)
		return ret;
	*pfn = args.pfn;
	*writable = args.writable;
	follow_pfnmap_end(&args);
	return 0;
#else
	spinlock_t *ptl;	/* the page table lock follow_pte() takes */
	pte_t *ptep;
	int ret = follow_pte(vma->vm_mm, addr, &ptep, &ptl);

	if (ret)
		return ret;
	__acquire(ptl);		/* for sparse: follow_pte() returned it held */
	*pfn = pte_pfn(*ptep);
	*writable = pte_write(*ptep);
	pte_unmap_unlock(ptep, ptl);
	return 0;
#endif
}

/* Add @flags to a vma being set up by mmap (the test fixture's). */
static inline void vfio_iova_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if VFIO_IOVA_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * The nesting container type (6).  Where the kernel still has it, it is
 * served as type1v2 with nesting enabled on each domain; where mainline
 * retired it (its number only reserved), no type1 backend offers it, and a
 * container of that type can no longer be created.
 */
#if VFIO_IOVA_HAVE_ENABLE_NESTING
#define VFIO_IOVA_TYPE1_NESTING		VFIO_TYPE1_NESTING_IOMMU
#define vfio_iova_enable_nesting	iommu_enable_nesting
#else
#define VFIO_IOVA_TYPE1_NESTING		__VFIO_RESERVED_TYPE1_NESTING_IOMMU
static inline int vfio_iova_enable_nesting(struct iommu_domain *domain)
{
	return -EOPNOTSUPP;
}
#endif
#define VFIO_IOVA_SERVES_NESTING	VFIO_IOVA_HAVE_ENABLE_NESTING

#endif /* VFIO_IOVA_COMPAT_H */
