/* SPDX-License-Identifier: GPL-2.0 */
/* The test fixture's vfio device, shared by its two parents. */
#ifndef VFIO_IOVA_TEST_FIXTURE_H
#define VFIO_IOVA_TEST_FIXTURE_H

struct device;
struct attribute_group;

/* The device's sysfs attributes: cmd, result, unmap_calls. */
extern const struct attribute_group *vfio_iova_test_mdev_groups[];

int vfio_iova_test_create(struct device *dev);
void vfio_iova_test_destroy(struct device *dev);

#endif
