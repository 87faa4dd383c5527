// SPDX-License-Identifier: GPL-2.0
/* iommu_enable_nesting() and the VFIO_TYPE1_NESTING_IOMMU type (6.12 and older). */
#include <linux/iommu.h>
#include <linux/vfio.h>

int (*vfio_iova_probe)(struct iommu_domain *domain) = iommu_enable_nesting;
unsigned long vfio_iova_probe_type = VFIO_TYPE1_NESTING_IOMMU;
