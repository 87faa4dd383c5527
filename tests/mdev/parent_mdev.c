// SPDX-License-Identifier: GPL-2.0
/*
 * The test fixture's devices as mdevs, where the kernel has mediated devices.
 * Create one with, in /sys/class/mdev_bus/vfio_iova_test_mdev/:
 *   echo <uuid> > mdev_supported_types/-plain/create
 * (a type directory is named after the parent's driver, which it has none).
 */
#include <linux/device.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/vfio.h>

#include "fixture.h"

static int vfio_iova_test_mdev_probe(struct mdev_device *mdev)
{
	return vfio_iova_test_create(&mdev->dev);
}

static void vfio_iova_test_mdev_remove(struct mdev_device *mdev)
{
	vfio_iova_test_destroy(&mdev->dev);
}

static struct mdev_type vfio_iova_test_mdev_type = {
	.sysfs_name = "plain",
	.pretty_name = "emulated IOMMU, no DMA",
};

static struct mdev_type *vfio_iova_test_mdev_types[] = { &vfio_iova_test_mdev_type };

static struct mdev_driver vfio_iova_test_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.max_instances = 4,
	.driver = {
		.name = "vfio_iova_test_mdev",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = vfio_iova_test_mdev_groups,
	},
	.probe = vfio_iova_test_mdev_probe,
	.remove = vfio_iova_test_mdev_remove,
};

static struct mdev_parent vfio_iova_test_mdev_parent;
static struct device *vfio_iova_test_mdev_dev;

static int __init vfio_iova_test_mdev_init(void)
{
	int ret;

	ret = mdev_register_driver(&vfio_iova_test_mdev_driver);
	if (ret)
		return ret;
	vfio_iova_test_mdev_dev = root_device_register("vfio_iova_test_mdev");
	if (IS_ERR(vfio_iova_test_mdev_dev)) {
		ret = PTR_ERR(vfio_iova_test_mdev_dev);
		goto out_driver;
	}
	ret = mdev_register_parent(&vfio_iova_test_mdev_parent, vfio_iova_test_mdev_dev,
				   &vfio_iova_test_mdev_driver, vfio_iova_test_mdev_types,
				   ARRAY_SIZE(vfio_iova_test_mdev_types));
	if (ret)
		goto out_dev;
	return 0;
out_dev:
	root_device_unregister(vfio_iova_test_mdev_dev);
out_driver:
	mdev_unregister_driver(&vfio_iova_test_mdev_driver);
	return ret;
}

static void __exit vfio_iova_test_mdev_exit(void)
{
	mdev_unregister_parent(&vfio_iova_test_mdev_parent);
	root_device_unregister(vfio_iova_test_mdev_dev);
	mdev_unregister_driver(&vfio_iova_test_mdev_driver);
}

module_init(vfio_iova_test_mdev_init);
module_exit(vfio_iova_test_mdev_exit);
