// SPDX-License-Identifier: GPL-2.0
/* iommu_group_has_isolated_msi() (since v6.3). */
#include <linux/iommu.h>

bool (*vfio_iova_probe)(struct iommu_group *group) = iommu_group_has_isolated_msi;
