/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-iommu-iova: internal declarations.
 *
 * Lock order: vfio core locks (held by our callers) -> vfio_iova_container.lock.
 */
#ifndef VFIO_IOVA_INTERNAL_H
#define VFIO_IOVA_INTERNAL_H

#include <linux/list.h>
#include <linux/mutex.h>

#define VFIO_IOVA_NAME "vfio-iommu-iova"

/* One per container that selected this backend with VFIO_SET_IOMMU. */
struct vfio_iova_container {
	struct mutex lock;		/* protects everything below */
	struct list_head groups;	/* struct vfio_iova_group.next */
	bool v2;			/* VFIO_TYPE1v2_IOMMU semantics */
};

struct vfio_iova_group {
	struct list_head next;
	struct iommu_group *iommu_group;
};

#endif /* VFIO_IOVA_INTERNAL_H */
