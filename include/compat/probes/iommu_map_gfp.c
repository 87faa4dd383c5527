// SPDX-License-Identifier: GPL-2.0
/* iommu_map() takes a gfp_t (since v6.3). */
#include <linux/iommu.h>

int (*vfio_iova_probe)(struct iommu_domain *d, unsigned long iova, phys_addr_t paddr,
		       size_t size, int prot, gfp_t gfp) = iommu_map;
