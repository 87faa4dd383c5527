// SPDX-License-Identifier: GPL-2.0
/*
 * The test fixture's device where the kernel has no mediated devices
 * (Debian's arm64 kernels): one device, named by the module parameter
 * "name" (a UUID, as an mdev's), registered at load under
 * /sys/devices/vfio_iova_test_mdev/, the same path as an mdev of
 * parent_mdev.c, with the same vfio device and attributes.  vfio expects
 * the device to be bound to a driver (it pins the driver's module while the
 * device is open), so it sits on a bus of its own, with a driver.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "fixture.h"

static char *name = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "the device's name (a UUID, as an mdev's)");

/* Not const: 6.1's bus_register() takes a writable one. */
static struct bus_type vfio_iova_test_bus = {
	.name = "vfio_iova_test",
};

static int vfio_iova_test_probe(struct device *dev)
{
	return vfio_iova_test_create(dev);
}

static int vfio_iova_test_remove(struct device *dev)
{
	vfio_iova_test_destroy(dev);
	return 0;
}

static struct device_driver vfio_iova_test_driver = {
	.name = "vfio_iova_test_mdev",
	.bus = &vfio_iova_test_bus,
	.owner = THIS_MODULE,
	.mod_name = KBUILD_MODNAME,
	.dev_groups = vfio_iova_test_mdev_groups,
	.probe = vfio_iova_test_probe,
	.remove = vfio_iova_test_remove,
};

static struct device *vfio_iova_test_root;
static struct device *vfio_iova_test_dev;

static void vfio_iova_test_release(struct device *dev)
{
	kfree(dev);
}

static int __init vfio_iova_test_plain_init(void)
{
	struct device *dev;
	int ret;

	ret = bus_register(&vfio_iova_test_bus);
	if (ret)
		return ret;
	ret = driver_register(&vfio_iova_test_driver);
	if (ret)
		goto out_bus;
	vfio_iova_test_root = root_device_register("vfio_iova_test_mdev");
	if (IS_ERR(vfio_iova_test_root)) {
		ret = PTR_ERR(vfio_iova_test_root);
		goto out_driver;
	}
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		ret = -ENOMEM;
		goto out_root;
	}
	device_initialize(dev);
	dev->parent = vfio_iova_test_root;
	dev->bus = &vfio_iova_test_bus;
	dev->release = vfio_iova_test_release;
	ret = dev_set_name(dev, "%s", name);
	if (!ret)
		ret = device_add(dev);
	if (ret)
		goto out_put;
	if (!dev->driver) {	/* the probe failed */
		ret = -ENODEV;
		goto out_del;
	}
	vfio_iova_test_dev = dev;
	return 0;
out_del:
	device_del(dev);
out_put:
	put_device(dev);
out_root:
	root_device_unregister(vfio_iova_test_root);
out_driver:
	driver_unregister(&vfio_iova_test_driver);
out_bus:
	bus_unregister(&vfio_iova_test_bus);
	return ret;
}

static void __exit vfio_iova_test_plain_exit(void)
{
	device_unregister(vfio_iova_test_dev);
	root_device_unregister(vfio_iova_test_root);
	driver_unregister(&vfio_iova_test_driver);
	bus_unregister(&vfio_iova_test_bus);
}

module_init(vfio_iova_test_plain_init);
module_exit(vfio_iova_test_plain_exit);
