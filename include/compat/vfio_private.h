/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of the kernel's private drivers/vfio/vfio.h that an IOMMU
 * backend needs.  No headers package ships that file, so we keep our own
 * copy, and a copy is only trusted once src/scripts/verify-layout.sh has
 * matched the target kernel's BTF against a fingerprint under layouts/.
 * The generated header it writes selects the variant below; the static
 * asserts tie this copy to the size and offsets the kernel's BTF reported.
 */
#ifndef VFIO_IOVA_COMPAT_VFIO_PRIVATE_H
#define VFIO_IOVA_COMPAT_VFIO_PRIVATE_H

#include <linux/build_bug.h>
#include <linux/iommu.h>
#include <linux/stddef.h>
#include <linux/vfio.h>

#include "generated/vfio_iova_layout.h"

enum vfio_group_type {
	VFIO_IOMMU,
	VFIO_EMULATED_IOMMU,
	VFIO_NO_IOMMU,
};

#if VFIO_IOVA_OPS_HAS_NOTIFY
enum vfio_iommu_notify_type {
	VFIO_IOMMU_CONTAINER_CLOSE = 0,
};
#endif

struct vfio_iommu_driver_ops {
	char		*name;
	struct module	*owner;
	void		*(*open)(unsigned long arg);
	void		(*release)(void *iommu_data);
	long		(*ioctl)(void *iommu_data, unsigned int cmd,
				 unsigned long arg);
	int		(*attach_group)(void *iommu_data,
					struct iommu_group *group,
					enum vfio_group_type type);
	void		(*detach_group)(void *iommu_data,
					struct iommu_group *group);
	int		(*pin_pages)(void *iommu_data,
				     struct iommu_group *group,
				     dma_addr_t user_iova, int npage, int prot,
				     struct page **pages);
	void		(*unpin_pages)(void *iommu_data, dma_addr_t user_iova,
				       int npage);
	void		(*register_device)(void *iommu_data,
					   struct vfio_device *vdev);
	void		(*unregister_device)(void *iommu_data,
					     struct vfio_device *vdev);
	int		(*dma_rw)(void *iommu_data, dma_addr_t user_iova,
				  void *data, size_t count, bool write);
	struct iommu_domain *(*group_iommu_domain)(void *iommu_data,
						   struct iommu_group *group);
#if VFIO_IOVA_OPS_HAS_NOTIFY
	void		(*notify)(void *iommu_data,
				  enum vfio_iommu_notify_type event);
#endif
};

static_assert(sizeof(struct vfio_iommu_driver_ops) == VFIO_IOVA_OPS_SIZE);
#define VFIO_IOVA_ASSERT_OFFSET(member, offset)				\
	static_assert(offsetof(struct vfio_iommu_driver_ops, member) == (offset))
VFIO_IOVA_OPS_OFFSETS(VFIO_IOVA_ASSERT_OFFSET);
#undef VFIO_IOVA_ASSERT_OFFSET

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops);

#endif /* VFIO_IOVA_COMPAT_VFIO_PRIVATE_H */
