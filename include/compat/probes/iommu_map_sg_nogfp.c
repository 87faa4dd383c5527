// SPDX-License-Identifier: GPL-2.0
/* iommu_map_sg() without a gfp_t (before v6.3). */
#include <linux/iommu.h>

ssize_t (*vfio_iova_probe)(struct iommu_domain *d, unsigned long iova, struct scatterlist *sg,
			   unsigned int nents, int prot) = iommu_map_sg;
