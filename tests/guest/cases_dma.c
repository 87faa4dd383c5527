// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests: real DMA through the IOMMU with QEMU's edu device.
 *
 * edu's DMA engine (BAR0: 0x80 source, 0x88 destination, 0x90 count, 0x98
 * command; a 4 KiB buffer at device address 0x40000) copies between its
 * buffer and an IOVA.  Its default dma_mask is 28 bits, so IOVAs stay below
 * 256 MiB, and each transfer takes about 100 ms of virtual time.  QEMU 7.2's
 * edu aborts on a transfer that ends exactly at the end of its buffer (an
 * off-by-one in its range check), so transfers are half a page.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vt.h"

#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_CNT 0x90
#define EDU_CMD 0x98
#define EDU_CMD_START 1
#define EDU_CMD_TO_RAM 2
#define EDU_BUF 0x40000
#define XFER 0x800

#define IOVA_SRC 0x1000000ULL
#define IOVA_DST 0x2000000ULL
#define IOVA_RO 0x3000000ULL

static volatile uint64_t *reg(volatile char *bar, unsigned int off)
{
	return (volatile uint64_t *)(bar + off);
}

/* Run one transfer and wait for the engine; 0 when it finished. */
static int edu_dma(volatile char *bar, uint64_t src, uint64_t dst, uint64_t cmd)
{
	int i;

	*reg(bar, EDU_SRC) = src;
	*reg(bar, EDU_DST) = dst;
	*reg(bar, EDU_CNT) = XFER;
	*reg(bar, EDU_CMD) = cmd | EDU_CMD_START;
	for (i = 0; i < 1000; i++) {
		if (!(*reg(bar, EDU_CMD) & EDU_CMD_START))
			return 0;
		usleep(10000);
	}
	return -1;
}

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

void case_edu_dma(struct ctx *t)
{
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0),
					 .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	unsigned char *src, *dst;
	volatile char *bar = MAP_FAILED;
	struct vt_cont vc;
	unsigned short cmd;
	int dev = -1;
	size_t i;
	long r;

	src = vt_buffer(PAGE);
	dst = vt_buffer(PAGE);
	if (!src || !dst || vt_open(t, &vc, VFIO_TYPE1v2_IOMMU))
		return;
	dev = xioctl(vc.g, VFIO_GROUP_GET_DEVICE_FD, (void *)t->device);
	CHECK(t, dev >= 0, "VFIO_GROUP_GET_DEVICE_FD(%s): %d", t->device, dev);
	if (dev < 0)
		goto out;
	CHECK(t, !xioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &cfg) &&
	      !xioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &bar0), "region info");
	/* Bus mastering on, or the device's DMA goes nowhere. */
	if (pread(dev, &cmd, 2, cfg.offset + 4) == 2) {
		cmd |= 4;
		CHECK(t, pwrite(dev, &cmd, 2, cfg.offset + 4) == 2, "enable bus master");
	}
	bar = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev, bar0.offset);
	CHECK(t, bar != MAP_FAILED, "mmap BAR0");
	if (bar == MAP_FAILED)
		goto out;

	for (i = 0; i < PAGE; i++)
		src[i] = (unsigned char)(i * 7 + 1);
	memset(dst, 0, PAGE);
	r = vt_map(vc.c, IOVA_SRC, PAGE, (uintptr_t)src, VFIO_DMA_MAP_FLAG_READ);
	record(t, "map_src", "%ld", r);
	r = vt_map(vc.c, IOVA_DST, PAGE, (uintptr_t)dst, VFIO_DMA_MAP_FLAG_WRITE);
	record(t, "map_dst", "%ld", r);

	/* memory -> device -> memory through two IOVAs */
	r = edu_dma(bar, IOVA_SRC, EDU_BUF, 0) || edu_dma(bar, EDU_BUF, IOVA_DST, EDU_CMD_TO_RAM);
	record(t, "transfers", "%ld", r);
	r = !memcmp(src, dst, XFER) && all_zero(dst + XFER, PAGE - XFER);
	record(t, "data_arrived", "%ld", r);
	CHECK(t, r, "the device's DMA did not copy the data through the IOMMU");

	/* After unmap, the device's write must fault, not land. */
	record(t, "unmap_dst", "%ld", vt_unmap(vc.c, IOVA_DST, PAGE, 0, NULL));
	memset(dst, 0, PAGE);
	edu_dma(bar, EDU_BUF, IOVA_DST, EDU_CMD_TO_RAM);
	r = all_zero(dst, PAGE);
	record(t, "unmapped_write_blocked", "%ld", r);
	CHECK(t, r, "DMA to an unmapped IOVA reached memory");

	/* A read-only mapping takes no device write either. */
	record(t, "map_ro", "%ld", vt_map(vc.c, IOVA_RO, PAGE, (uintptr_t)dst,
					  VFIO_DMA_MAP_FLAG_READ));
	edu_dma(bar, EDU_BUF, IOVA_RO, EDU_CMD_TO_RAM);
	r = all_zero(dst, PAGE);
	record(t, "readonly_write_blocked", "%ld", r);
	CHECK(t, r, "DMA wrote through a read-only mapping");
out:
	if (bar != MAP_FAILED)
		munmap((void *)bar, bar0.size);
	if (dev >= 0)
		close(dev);
	vt_close(&vc);
	munmap(src, PAGE);
	munmap(dst, PAGE);
}
