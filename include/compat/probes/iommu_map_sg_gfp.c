// SPDX-License-Identifier: GPL-2.0
/* iommu_map_sg() takes a gfp_t (since v6.3). */
#include <linux/iommu.h>

ssize_t (*vfio_iova_probe)(struct iommu_domain *d, unsigned long iova, struct scatterlist *sg,
			   unsigned int nents, int prot, gfp_t gfp) = iommu_map_sg;
