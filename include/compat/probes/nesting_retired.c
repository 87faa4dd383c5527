// SPDX-License-Identifier: GPL-2.0
/* The nesting type retired, its number only reserved in the uapi (7.x). */
#include <linux/vfio.h>

unsigned long vfio_iova_probe_type = __VFIO_RESERVED_TYPE1_NESTING_IOMMU;
