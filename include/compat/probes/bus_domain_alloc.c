// SPDX-License-Identifier: GPL-2.0
/* Only iommu_domain_alloc(bus), returning NULL on failure (before v6.11). */
#include <linux/iommu.h>

struct iommu_domain *(*vfio_iova_probe)(struct bus_type *bus) = iommu_domain_alloc;
