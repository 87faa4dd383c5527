// SPDX-License-Identifier: GPL-2.0
/* iommu_map() without a gfp_t (before v6.3). */
#include <linux/iommu.h>

int (*vfio_iova_probe)(struct iommu_domain *d, unsigned long iova, phys_addr_t paddr,
		       size_t size, int prot) = iommu_map;
