/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included into every object of the module (see Kbuild), so that the
 * code under src/ never tests kernel versions itself.  Each kernel
 * difference gets one name here, chosen from what the target kernel was
 * verified or probed to have, not from its version number.
 */
#ifndef VFIO_IOVA_COMPAT_H
#define VFIO_IOVA_COMPAT_H

/* Every message of the module carries its name. */
#define pr_fmt(fmt) "vfio-iommu-iova: " fmt

#include "vfio_private.h"

#endif /* VFIO_IOVA_COMPAT_H */
