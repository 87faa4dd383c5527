// SPDX-License-Identifier: GPL-2.0
/* irq_domain_check_msi_remap() and IOMMU_CAP_INTR_REMAP (before v6.3). */
#include <linux/iommu.h>
#include <linux/irqdomain.h>

bool (*vfio_iova_probe)(void) = irq_domain_check_msi_remap;
enum iommu_cap vfio_iova_probe_cap = IOMMU_CAP_INTR_REMAP;
