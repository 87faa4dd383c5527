// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_iova_test_mdev: a test-only mdev parent (never installed) whose
 * devices are vfio devices behind an emulated IOMMU.  Each gives its
 * container an emulated group: no IOMMU domain, so no IOVA restriction,
 * which is what the attach-conflict and detach-widening tests need.
 *
 * While its device file is open, a test drives the emulated-IOMMU API
 * through the device's sysfs attributes:
 *   cmd          write "pin IOVA NPAGE PROT", "unpin IOVA NPAGE",
 *                "write IOVA LEN BYTE", "read IOVA LEN", "kread IOVA LEN"
 *                (read from a kernel thread, a workqueue's) or "stubborn 0|1"
 *   result       the outcome of the last command: "RET" ("RET SUM" for read)
 *   unmap_calls  how often the backend asked to drop pins (dma_unmap)
 * Pinned pages are remembered and dropped when the backend asks, unless
 * "stubborn" (to test a backend whose drivers keep their pins).
 *
 * mmap of the device file (one page, offset 0) gives what some drivers map
 * for user space: a VM_IO | VM_MIXEDMAP mapping, without VM_PFNMAP, of a
 * reserved page of the driver's.
 *
 * Its devices hang under /sys/devices/vfio_iova_test_mdev/.  Where the
 * kernel has mediated devices (CONFIG_VFIO_MDEV: Debian's x86 kernels), they
 * are mdevs (parent_mdev.c); elsewhere (Debian's arm64 kernels have no mdev)
 * one plain device is registered at load (parent_plain.c).  Both register
 * the same vfio device, behind the same emulated IOMMU.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "fixture.h"

#define MAX_PINNED 1024

/*
 * Locking: cmd_lock serialises the commands and is held across calls into
 * vfio; lock protects the fields below it and is never held across a call
 * into vfio, because the backend calls dma_unmap with its own locks held
 * (the stock backend: its device_list_lock, which it nests inside its
 * iommu->lock when a device registers), so a pin taken under lock would
 * close a cycle (found by lockdep in make check-debug).
 */
struct vfio_iova_test_mdev {
	struct vfio_device vdev;
	struct mutex cmd_lock;		/* one command at a time */
	struct mutex lock;		/* the fields below */
	u64 pinned[MAX_PINNED];		/* IOVA of each pin we hold */
	unsigned int nr_pinned;
	unsigned int unmap_calls;
	bool stubborn;			/* ignore dma_unmap requests */
	char result[64];
	struct page *io_page;		/* what mmap maps (reserved) */
};

static struct vfio_iova_test_mdev *to_tm(struct device *dev)
{
	return dev_get_drvdata(dev);
}

/* Unpin what we hold in [iova, iova + length), taking it out under lock first. */
static void tm_drop_pins(struct vfio_iova_test_mdev *t, u64 iova, u64 length, bool unmap)
{
	unsigned int i = 0, n = 0;
	u64 *drop;

	drop = kmalloc_array(MAX_PINNED, sizeof(*drop), GFP_KERNEL | __GFP_NOFAIL);
	mutex_lock(&t->lock);
	if (unmap)
		t->unmap_calls++;
	while (!(unmap && t->stubborn) && i < t->nr_pinned) {
		if (t->pinned[i] - iova < length) {	/* wraps as IOVAs do */
			drop[n++] = t->pinned[i];
			t->pinned[i] = t->pinned[--t->nr_pinned];
		} else {
			i++;
		}
	}
	if (!unmap)
		t->stubborn = false;
	mutex_unlock(&t->lock);
	while (n)
		vfio_unpin_pages(&t->vdev, drop[--n], 1);
	kfree(drop);
}

/* The backend unmaps [iova, iova + length): drop our pins in it. */
static void vfio_iova_test_mdev_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	tm_drop_pins(container_of(vdev, struct vfio_iova_test_mdev, vdev), iova, length, true);
}

/* As every driver must: no pin outlives the open device. */
static void vfio_iova_test_mdev_close(struct vfio_device *vdev)
{
	struct vfio_iova_test_mdev *t = container_of(vdev, struct vfio_iova_test_mdev, vdev);

	mutex_lock(&t->cmd_lock);
	tm_drop_pins(t, 0, U64_MAX, false);
	mutex_unlock(&t->cmd_lock);
}

static int vfio_iova_test_mdev_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct vfio_iova_test_mdev *t = container_of(vdev, struct vfio_iova_test_mdev, vdev);

	if (vma->vm_end - vma->vm_start != PAGE_SIZE || vma->vm_pgoff)
		return -EINVAL;
	/* vm_insert_page() adds VM_MIXEDMAP. */
	vfio_iova_vm_flags_set(vma, VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	return vm_insert_page(vma, vma->vm_start, t->io_page);
}

static const struct vfio_device_ops vfio_iova_test_mdev_ops = {
	.name = "vfio-iova-test-mdev",
	.close_device = vfio_iova_test_mdev_close,
	.dma_unmap = vfio_iova_test_mdev_dma_unmap,
	.mmap = vfio_iova_test_mdev_mmap,
};

static int tm_pin(struct vfio_iova_test_mdev *t, u64 iova, int npage, int prot)
{
	struct page **pages;
	int ret, i;

	if (npage <= 0 || t->nr_pinned + npage > MAX_PINNED)
		return -E2BIG;
	pages = kcalloc(npage, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	ret = vfio_pin_pages(&t->vdev, iova, npage, prot, pages);
	mutex_lock(&t->lock);
	for (i = 0; i < ret; i++)
		t->pinned[t->nr_pinned++] = iova + ((u64)i << PAGE_SHIFT);
	mutex_unlock(&t->lock);
	kfree(pages);
	return ret;
}

static void tm_unpin(struct vfio_iova_test_mdev *t, u64 iova, int npage)
{
	unsigned int i = 0;

	vfio_unpin_pages(&t->vdev, iova, npage);
	mutex_lock(&t->lock);
	while (i < t->nr_pinned) {
		if (t->pinned[i] - iova < ((u64)npage << PAGE_SHIFT))
			t->pinned[i] = t->pinned[--t->nr_pinned];
		else
			i++;
	}
	mutex_unlock(&t->lock);
}

/* "read": the byte sum of what the backend reads from the IOVAs. */
static int tm_rw(struct vfio_iova_test_mdev *t, u64 iova, size_t len, bool write, int byte,
		 unsigned long *sum)
{
	u8 *buf = kmalloc(len, GFP_KERNEL);
	size_t i;
	int ret;

	if (!buf)
		return -ENOMEM;
	memset(buf, byte, len);
	ret = vfio_dma_rw(&t->vdev, iova, buf, len, write);
	for (*sum = 0, i = 0; !ret && !write && i < len; i++)
		*sum += buf[i];
	kfree(buf);
	return ret;
}

/* A read done by a kernel thread: a worker has no mm of its own. */
struct tm_kread {
	struct work_struct work;
	struct vfio_iova_test_mdev *t;
	u64 iova;
	size_t len;
	int ret;
	unsigned long sum;
};

static void tm_kread_fn(struct work_struct *work)
{
	struct tm_kread *k = container_of(work, struct tm_kread, work);

	k->ret = tm_rw(k->t, k->iova, k->len, false, 0, &k->sum);
}

static int tm_kread(struct vfio_iova_test_mdev *t, u64 iova, size_t len, unsigned long *sum)
{
	struct tm_kread k = { .t = t, .iova = iova, .len = len };

	INIT_WORK_ONSTACK(&k.work, tm_kread_fn);
	schedule_work(&k.work);
	flush_work(&k.work);
	destroy_work_on_stack(&k.work);
	*sum = k.sum;
	return k.ret;
}

static ssize_t cmd_store(struct device *dev, struct device_attribute *attr, const char *buf,
			 size_t count)
{
	struct vfio_iova_test_mdev *t = to_tm(dev);
	unsigned long long iova, len;
	unsigned long sum = 0;
	int n, prot, byte, ret = -EINVAL;

	mutex_lock(&t->cmd_lock);
	if (sscanf(buf, "pin %llx %d %d", &iova, &n, &prot) == 3) {
		ret = tm_pin(t, iova, n, prot);
	} else if (sscanf(buf, "unpin %llx %d", &iova, &n) == 2) {
		tm_unpin(t, iova, n);
		ret = 0;
	} else if (sscanf(buf, "write %llx %llx %d", &iova, &len, &byte) == 3 && len <= SZ_1M) {
		ret = tm_rw(t, iova, len, true, byte, &sum);
	} else if (sscanf(buf, "kread %llx %llx", &iova, &len) == 2 && len <= SZ_1M) {
		ret = tm_kread(t, iova, len, &sum);
	} else if (sscanf(buf, "read %llx %llx", &iova, &len) == 2 && len <= SZ_1M) {
		ret = tm_rw(t, iova, len, false, 0, &sum);
	} else if (sscanf(buf, "stubborn %d", &n) == 1) {
		mutex_lock(&t->lock);
		t->stubborn = n;
		mutex_unlock(&t->lock);
		ret = 0;
	}
	mutex_lock(&t->lock);
	snprintf(t->result, sizeof(t->result), "%d %lu\n", ret, sum);
	mutex_unlock(&t->lock);
	mutex_unlock(&t->cmd_lock);
	return count;
}
static DEVICE_ATTR_WO(cmd);

static ssize_t result_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct vfio_iova_test_mdev *t = to_tm(dev);
	ssize_t n;

	mutex_lock(&t->lock);
	n = sysfs_emit(buf, "%s", t->result);
	mutex_unlock(&t->lock);
	return n;
}
static DEVICE_ATTR_RO(result);

static ssize_t unmap_calls_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_tm(dev)->unmap_calls));
}
static DEVICE_ATTR_RO(unmap_calls);

static struct attribute *vfio_iova_test_mdev_attrs[] = {
	&dev_attr_cmd.attr,
	&dev_attr_result.attr,
	&dev_attr_unmap_calls.attr,
	NULL,
};

static const struct attribute_group vfio_iova_test_mdev_group = {
	.attrs = vfio_iova_test_mdev_attrs,
};

const struct attribute_group *vfio_iova_test_mdev_groups[] = {
	&vfio_iova_test_mdev_group,
	NULL,
};

/* Our reference to it; a process that still maps it holds its own. */
static void tm_free_io_page(struct vfio_iova_test_mdev *t)
{
	ClearPageReserved(t->io_page);
	put_page(t->io_page);
}

/* A vfio device behind an emulated IOMMU, for the device DEV. */
int vfio_iova_test_create(struct device *dev)
{
	struct vfio_iova_test_mdev *t;
	int ret;

	t = vfio_alloc_device(vfio_iova_test_mdev, vdev, dev, &vfio_iova_test_mdev_ops);
	if (IS_ERR(t))
		return PTR_ERR(t);
	mutex_init(&t->cmd_lock);
	mutex_init(&t->lock);
	snprintf(t->result, sizeof(t->result), "none\n");
	t->io_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!t->io_page) {
		vfio_put_device(&t->vdev);
		return -ENOMEM;
	}
	SetPageReserved(t->io_page);
	dev_set_drvdata(dev, t);
	ret = vfio_register_emulated_iommu_dev(&t->vdev);
	if (ret) {
		dev_set_drvdata(dev, NULL);
		tm_free_io_page(t);
		vfio_put_device(&t->vdev);
		return ret;
	}
	return 0;
}

void vfio_iova_test_destroy(struct device *dev)
{
	struct vfio_iova_test_mdev *t = to_tm(dev);

	vfio_unregister_group_dev(&t->vdev);
	tm_free_io_page(t);
	vfio_put_device(&t->vdev);
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-iommu-iova test fixture: devices behind an emulated IOMMU");
