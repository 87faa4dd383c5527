// SPDX-License-Identifier: GPL-2.0
/* iommu_paging_domain_alloc(dev) (since v6.11). */
#include <linux/iommu.h>

struct iommu_domain *(*vfio_iova_probe)(struct device *dev) = iommu_paging_domain_alloc;
