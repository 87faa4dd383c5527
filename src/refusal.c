// SPDX-License-Identifier: GPL-2.0
/*
 * Every refused request says why.  The stock backend answers most of its
 * refusals with a bare -EINVAL; we answer with the same errno, and keep the
 * reason in the container: a count per reason and the text of the last
 * one, for debugfs (<id>/refusals) and for vfio-iova's "why", plus a kernel
 * log line, rate-limited per container so that one client's bad requests
 * do not silence another's.
 *
 * A refusal may be recorded with or without the container lock held; its
 * record has a spinlock of its own, so that reading it never waits for a
 * busy container.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "internal.h"

static const char *const vfio_iova_op_names[VFIO_IOVA_NR_OPS] = {
	[VFIO_IOVA_OP_MAP] = "map",
	[VFIO_IOVA_OP_UNMAP] = "unmap",
	[VFIO_IOVA_OP_ATTACH] = "attach",
	[VFIO_IOVA_OP_PIN] = "pin_pages",
	[VFIO_IOVA_OP_DMA_RW] = "dma_rw",
	[VFIO_IOVA_OP_DIRTY] = "dirty_pages",
};

static const char *const vfio_iova_why_names[VFIO_IOVA_NR_WHYS] = {
	[VFIO_IOVA_WHY_ARGUMENT] = "argument",
	[VFIO_IOVA_WHY_MISALIGNED] = "misaligned",
	[VFIO_IOVA_WHY_WRAPS] = "wraps",
	[VFIO_IOVA_WHY_OVERLAP] = "overlap",
	[VFIO_IOVA_WHY_ENTRY_LIMIT] = "entry_limit",
	[VFIO_IOVA_WHY_MEMLOCK] = "memlock",
	[VFIO_IOVA_WHY_RANGE] = "range",
	[VFIO_IOVA_WHY_LAYOUT] = "layout",
	[VFIO_IOVA_WHY_PIN] = "pin",
	[VFIO_IOVA_WHY_NOT_MAPPED] = "not_mapped",
	[VFIO_IOVA_WHY_SPLIT] = "split",
	[VFIO_IOVA_WHY_PERMISSION] = "permission",
	[VFIO_IOVA_WHY_STATE] = "state",
	[VFIO_IOVA_WHY_IOMMU] = "iommu",
	[VFIO_IOVA_WHY_NO_MEMORY] = "no_memory",
};

const char *vfio_iova_op_name(enum vfio_iova_op op)
{
	return vfio_iova_op_names[op];
}

const char *vfio_iova_why_name(enum vfio_iova_why why)
{
	return vfio_iova_why_names[why];
}

void vfio_iova_refusals_init(struct vfio_iova_container *c)
{
	spin_lock_init(&c->refusals.lock);
	ratelimit_state_init(&c->refusals.rs, DEFAULT_RATELIMIT_INTERVAL,
			     DEFAULT_RATELIMIT_BURST);
}

/*
 * Record that @op was refused with @err because of @why, @fmt saying the
 * details: the argument, the mapping, the limit, the region.  Returns
 * @err, so that a refusal reads "return vfio_iova_refuse(...)".
 */
int vfio_iova_refuse(struct vfio_iova_container *c, enum vfio_iova_op op, int err,
		     enum vfio_iova_why why, const char *fmt, ...)
{
	struct vfio_iova_refusals *r = &c->refusals;
	char text[sizeof(r->text)];
	va_list args;

	va_start(args, fmt);
	vsnprintf(text, sizeof(text), fmt, args);
	va_end(args);

	spin_lock(&r->lock);
	r->seq++;
	r->op = op;
	r->why = why;
	r->err = err;
	strscpy(r->text, text, sizeof(r->text));
	WRITE_ONCE(r->count[why], r->count[why] + 1);
	WRITE_ONCE(r->ops[op], r->ops[op] + 1);
	spin_unlock(&r->lock);

	if (__ratelimit(&r->rs))
		pr_warn("container %u (pid %d %s): %s refused (%pe, %s): %s\n", c->id,
			c->owner_pid, c->owner_comm, vfio_iova_op_names[op], ERR_PTR(err),
			vfio_iova_why_names[why], text);
	return err;
}
