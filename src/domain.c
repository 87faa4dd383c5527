// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU domains, group attach and detach, and the container's valid IOVA
 * ranges: the intersection of the apertures of all its domains minus every
 * reserved region of every attached group (IOMMU_RESV_DIRECT_RELAXABLE
 * regions excepted).  The ranges are recomputed from scratch on every
 * change, on a copy that is committed only when the change succeeds, so a
 * refused attach leaves the container exactly as it was.
 */
#include <linux/iommu.h>
#include <linux/slab.h>

#include "internal.h"

const char *vfio_iova_resv_type_name(int type)
{
	switch (type) {
	case IOMMU_RESV_DIRECT:
		return "direct";
	case IOMMU_RESV_DIRECT_RELAXABLE:
		return "direct-relaxable";
	case IOMMU_RESV_RESERVED:
		return "reserved";
	case IOMMU_RESV_MSI:
		return "msi";
	case IOMMU_RESV_SW_MSI:
		return "sw-msi";
	default:
		return "unknown";
	}
}

bool vfio_iova_has_domain(struct vfio_iova_container *c)
{
	return !list_empty(&c->domains);
}

/*
 * The domain of @ig, or an ERR_PTR, as the stock backend answers.  No caller
 * in the 6.1 or 6.12 vfio core; kept so that the ops table is complete.
 */
struct iommu_domain *vfio_iova_group_iommu_domain(void *data, struct iommu_group *ig)
{
	struct iommu_domain *domain = ERR_PTR(-ENODEV);
	struct vfio_iova_container *c = data;
	struct vfio_iova_domain *d;
	struct vfio_iova_group *g;

	if (!c || !ig)
		return ERR_PTR(-EINVAL);
	mutex_lock(&c->lock);
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			if (g->iommu_group == ig)
				domain = d->domain;
	mutex_unlock(&c->lock);
	return domain;
}

bool vfio_iova_has_emulated(struct vfio_iova_container *c)
{
	bool ret;

	mutex_lock(&c->lock);
	ret = !list_empty(&c->emulated);
	mutex_unlock(&c->lock);
	return ret;
}

/* VFIO_DMA_CC_IOMMU: every domain enforces cache coherency. */
bool vfio_iova_all_coherent(struct vfio_iova_container *c)
{
	struct vfio_iova_domain *d;
	bool ret = true;

	mutex_lock(&c->lock);
	list_for_each_entry(d, &c->domains, next)
		ret &= d->enforce_cache_coherency;
	mutex_unlock(&c->lock);
	return ret;
}

/* May [iova, last] be mapped?  Without a domain nothing is restricted. */
bool vfio_iova_valid(struct vfio_iova_container *c, u64 iova, u64 last)
{
	return !vfio_iova_has_domain(c) || iova_ranges_contains(&c->valid, iova, last);
}

static bool vfio_iova_resv_excluded(const struct vfio_iova_resv *r)
{
	return r->type != IOMMU_RESV_DIRECT_RELAXABLE;
}

/*
 * The valid ranges of @c's domains, plus @extra (a domain being attached,
 * with its group @eg) if given, into @out.
 */
static int vfio_iova_compute(struct vfio_iova_container *c, struct iommu_domain *extra,
			     struct vfio_iova_group *eg, struct iova_ranges *out)
{
	struct vfio_iova_domain *d;
	struct vfio_iova_group *g;
	unsigned int i;
	int ret;

	ret = iova_ranges_set(out, 0, U64_MAX);
	if (extra && !ret)
		ret = iova_ranges_intersect(out, extra->geometry.aperture_start,
					    extra->geometry.aperture_end);
	list_for_each_entry(d, &c->domains, next)
		if (!ret)
			ret = iova_ranges_intersect(out, d->domain->geometry.aperture_start,
						    d->domain->geometry.aperture_end);
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			for (i = 0; i < g->nr_resv && !ret; i++)
				if (vfio_iova_resv_excluded(&g->resv[i]))
					ret = iova_ranges_exclude(out, g->resv[i].start,
								  g->resv[i].last);
	for (i = 0; eg && i < eg->nr_resv && !ret; i++)
		if (vfio_iova_resv_excluded(&eg->resv[i]))
			ret = iova_ranges_exclude(out, eg->resv[i].start, eg->resv[i].last);
	return ret;
}

/* What makes @iova invalid in @c, in words, for log lines and debugfs. */
void vfio_iova_explain(struct vfio_iova_container *c, u64 iova, char *buf, size_t len)
{
	struct vfio_iova_domain *d;
	struct vfio_iova_group *g;
	unsigned int i;

	list_for_each_entry(d, &c->domains, next) {
		const struct iommu_domain_geometry *geo = &d->domain->geometry;

		list_for_each_entry(g, &d->groups, next)
			for (i = 0; i < g->nr_resv; i++)
				if (vfio_iova_resv_excluded(&g->resv[i]) &&
				    iova >= g->resv[i].start && iova <= g->resv[i].last) {
					snprintf(buf, len,
						 "IOVA %#llx is in reserved region [%#llx-%#llx] (%s) of group %d",
						 iova, g->resv[i].start, g->resv[i].last,
						 vfio_iova_resv_type_name(g->resv[i].type), g->id);
					return;
				}
		if (iova < geo->aperture_start || iova > geo->aperture_end) {
			g = list_first_entry_or_null(&d->groups, struct vfio_iova_group, next);
			snprintf(buf, len,
				 "IOVA %#llx is outside the aperture [%#llx-%#llx] of group %d",
				 iova, (u64)geo->aperture_start, (u64)geo->aperture_end,
				 g ? g->id : -1);
			return;
		}
	}
	snprintf(buf, len, "IOVA %#llx is not in a valid range", iova);
}

/* Copy the group's reserved regions out of the IOMMU core's list. */
static int vfio_iova_read_resv(struct vfio_iova_group *g)
{
	struct iommu_resv_region *r, *tmp;
	LIST_HEAD(list);
	unsigned int n = 0;
	int ret;

	ret = iommu_get_group_resv_regions(g->iommu_group, &list);
	if (ret)
		goto out;
	list_for_each_entry(r, &list, list)
		n++;
	g->resv = VFIO_IOVA_INJECT(kcalloc(n ?: 1, sizeof(*g->resv), GFP_KERNEL_ACCOUNT), NULL);
	if (!g->resv) {
		ret = -ENOMEM;
		goto out;
	}
	list_for_each_entry(r, &list, list) {
		g->resv[g->nr_resv].start = r->start;
		g->resv[g->nr_resv].last = r->start + r->length - 1;
		g->resv[g->nr_resv].type = r->type;
		g->nr_resv++;
	}
out:
	list_for_each_entry_safe(r, tmp, &list, list) {
		list_del(&r->list);
		kfree(r);
	}
	return ret;
}

/* The base of a software-managed MSI window, if the group has one. */
static bool vfio_iova_sw_msi(struct vfio_iova_group *g, phys_addr_t *base)
{
	bool sw = false;
	unsigned int i;

	for (i = 0; i < g->nr_resv; i++) {
		/* A hardware MSI window makes the software one irrelevant. */
		if (g->resv[i].type == IOMMU_RESV_MSI)
			return false;
		if (g->resv[i].type == IOMMU_RESV_SW_MSI) {
			*base = g->resv[i].start;
			sw = true;
		}
	}
	return sw;
}

struct vfio_iova_group *vfio_iova_find_group(struct vfio_iova_container *c,
					     struct iommu_group *ig,
					     struct vfio_iova_domain **dp)
{
	struct vfio_iova_domain *d;
	struct vfio_iova_group *g;

	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			if (g->iommu_group == ig) {
				*dp = d;
				return g;
			}
	*dp = NULL;
	list_for_each_entry(g, &c->emulated, next)
		if (g->iommu_group == ig)
			return g;
	return NULL;
}

/*
 * A group's devices can go while it is attached (hot-unplug): a device is
 * used only inside iommu_group_for_each_dev(), whose callbacks run with the
 * group's device list locked, never after it returned.
 */
static int vfio_iova_dev_unit(struct device *dev, void *data)
{
	*(const struct iommu_device **)data = vfio_iova_dev_iommu_unit(dev);
	return 1;	/* the first device is enough */
}

static int vfio_iova_dev_domain_alloc(struct device *dev, void *data)
{
	*(struct iommu_domain **)data = vfio_iova_domain_alloc(dev);
	return 1;
}

/* A paging domain for the IOMMU of @ig's devices, or an ERR_PTR. */
static struct iommu_domain *vfio_iova_group_domain_alloc(struct iommu_group *ig)
{
	struct iommu_domain *domain = ERR_PTR(-ENODEV);

	iommu_group_for_each_dev(ig, &domain, vfio_iova_dev_domain_alloc);
	return domain;
}

static void vfio_iova_free_group(struct vfio_iova_group *g)
{
	kfree(g->resv);
	kfree(g);
}

/*
 * The lowest mapping with an IOVA outside @valid, and (in @gap) its first
 * such IOVA.  A tree lookup per hole of @valid, not a walk of the mappings:
 * the holes are few, the mappings can be tens of thousands.
 */
static struct vfio_iova_dma *vfio_iova_first_outside(struct vfio_iova_container *c,
						     const struct iova_ranges *valid, u64 *gap)
{
	u64 start = 0, hole, hole_last;

	while (iova_ranges_first_gap(valid, start, U64_MAX, &hole, &hole_last)) {
		struct vfio_iova_dma *dma = vfio_iova_first_dma(c, hole, hole_last);

		if (dma) {
			*gap = max(dma->iova, hole);
			return dma;
		}
		if (hole_last == U64_MAX)
			break;
		start = hole_last + 1;
	}
	return NULL;
}

/*
 * Every existing mapping must lie in @valid.  Otherwise say which one and
 * why, and refuse.
 */
static int vfio_iova_check_mappings(struct vfio_iova_container *c, struct vfio_iova_group *g,
				    struct iommu_domain *domain, struct iova_ranges *valid)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	struct vfio_iova_dma *dma;
	char why[160];
	unsigned int i;
	u64 last, gap;

	dma = vfio_iova_first_outside(c, valid, &gap);
	if (!dma)
		return 0;
	last = vfio_iova_dma_last(dma);
	snprintf(why, sizeof(why), "IOVA %#llx is not in a valid range", gap);
	if (gap < geo->aperture_start || gap > geo->aperture_end)
		snprintf(why, sizeof(why),
			 "outside the aperture [%#llx-%#llx] of its IOMMU",
			 (u64)geo->aperture_start, (u64)geo->aperture_end);
	for (i = 0; i < g->nr_resv; i++)
		if (vfio_iova_resv_excluded(&g->resv[i]) &&
		    iova_overlaps(dma->iova, last, g->resv[i].start, g->resv[i].last))
			snprintf(why, sizeof(why),
				 "overlaps its reserved region [%#llx-%#llx] (%s)",
				 g->resv[i].start, g->resv[i].last,
				 vfio_iova_resv_type_name(g->resv[i].type));
	return vfio_iova_refuse(c, VFIO_IOVA_OP_ATTACH, -EINVAL, VFIO_IOVA_WHY_LAYOUT,
				"group %d: mapping [%#llx-%#llx] %s", g->id, dma->iova, last, why);
}

void vfio_iova_update_pgsizes(struct vfio_iova_container *c)
{
	unsigned long bitmap = ULONG_MAX, min = 1UL << vfio_iova_pgshift(c);
	struct vfio_iova_domain *d;

	list_for_each_entry(d, &c->domains, next)
		bitmap &= vfio_iova_inject_pgsizes(d->domain->pgsize_bitmap);
	/* Pinning works in PAGE_SIZE units: hide smaller IOMMU page sizes. */
	if (bitmap & ~PAGE_MASK)
		bitmap = (bitmap & PAGE_MASK) | PAGE_SIZE;
	/*
	 * The dirty bitmaps have a bit per page of the smallest size they
	 * were made with: while tracking, it must not shrink (a detach can
	 * leave only IOMMUs with smaller pages, on arm64), or the bits would
	 * run past them.  It is recomputed when tracking stops.
	 */
	if (c->dirty_tracking && (bitmap & (min - 1)))
		bitmap = (bitmap & ~(min - 1)) | min;
	c->pgsize_bitmap = bitmap;
}

/* Attach @g to the existing domain @d (a fault-injection point). */
static int vfio_iova_attach_existing(struct vfio_iova_domain *d, struct vfio_iova_group *g)
{
	return VFIO_IOVA_INJECT(iommu_attach_group(d->domain, g->iommu_group), -ENOMEM);
}

/*
 * Move the group from its new domain into an existing compatible one, if
 * there is one; the new domain is then no longer needed.  Returns 1 if the
 * group moved, 0 if it stays in @nd, or an errno if it is in no domain at
 * all (it could not go back to @nd): the attach must then fail.
 */
static int vfio_iova_reuse_domain(struct vfio_iova_container *c, struct vfio_iova_domain *nd,
				  struct vfio_iova_group *g)
{
	struct vfio_iova_domain *d;
	int ret;

	if (!vfio_iova_reuse_domains)
		return 0;
	list_for_each_entry(d, &c->domains, next) {
		if (d->domain->ops != nd->domain->ops ||
		    d->enforce_cache_coherency != nd->enforce_cache_coherency)
			continue;
		iommu_detach_group(nd->domain, g->iommu_group);
		if (!vfio_iova_attach_existing(d, g)) {
			list_add_tail(&g->next, &d->groups);
			return 1;
		}
		ret = VFIO_IOVA_INJECT(iommu_attach_group(nd->domain, g->iommu_group), -ENOMEM);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A software-managed MSI window (arm64's SMMU) needs its cookie in the new
 * domain before the group's devices can use MSIs.  A fault-injection
 * point, on every IOMMU.
 */
static int vfio_iova_msi_cookie(struct vfio_iova_group *g, struct iommu_domain *domain)
{
	phys_addr_t base;
	int ret = 0;

	if (vfio_iova_sw_msi(g, &base))
		ret = iommu_get_msi_cookie(domain, base);
	ret = VFIO_IOVA_INJECT(ret, -ENOMEM);
	return ret == -ENODEV ? 0 : ret;	/* -ENODEV: the IOMMU needs none */
}

/*
 * May group @g, attached to @domain, join @c?  Computes the container's
 * valid ranges with it into @valid (@extra: @domain, if it is not one of
 * @c's yet) and checks the mappings and interrupt isolation against them.
 */
static int vfio_iova_admit(struct vfio_iova_container *c, struct vfio_iova_group *g,
			   struct iommu_domain *domain, struct iommu_domain *extra,
			   struct iova_ranges *valid)
{
	int ret;

	ret = vfio_iova_compute(c, extra, g, valid);
	if (ret)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_ATTACH, ret, VFIO_IOVA_WHY_NO_MEMORY,
					"group %d: no memory for the valid ranges", g->id);
	if (!valid->nr)
		return vfio_iova_refuse(c, VFIO_IOVA_OP_ATTACH, -EINVAL, VFIO_IOVA_WHY_LAYOUT,
					"group %d: no valid IOVA would be left in the container",
					g->id);
	ret = vfio_iova_check_mappings(c, g, domain, valid);
	if (ret)
		return ret;
	if (!vfio_iova_allow_unsafe_interrupts &&
	    !vfio_iova_group_isolated_msi(g->iommu_group)) {
		pr_warn("group %d: no interrupt remapping support; use the module parameter \"allow_unsafe_interrupts\" to enable VFIO IOMMU support on this platform\n",
			g->id);
		return vfio_iova_refuse(c, VFIO_IOVA_OP_ATTACH, -EPERM, VFIO_IOVA_WHY_STATE,
					"group %d: no interrupt remapping, and allow_unsafe_interrupts is off",
					g->id);
	}
	return 0;
}

/*
 * A domain of @c that already serves a group behind the same IOMMU unit as
 * @g has the geometry a new domain for @g would have: attach @g to it
 * directly, skipping a domain allocated only to be compared and freed.
 * Returns that domain with @g attached, or NULL.
 */
static struct vfio_iova_domain *vfio_iova_attach_sibling(struct vfio_iova_container *c,
							 struct vfio_iova_group *g)
{
	struct vfio_iova_domain *d;
	struct vfio_iova_group *other;

	if (!vfio_iova_reuse_domains || !g->unit)
		return NULL;
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(other, &d->groups, next)
			if (other->unit == g->unit)
				return vfio_iova_attach_existing(d, g) ? NULL : d;
	return NULL;
}

int vfio_iova_attach_group(void *data, struct iommu_group *ig, enum vfio_group_type type)
{
	struct vfio_iova_container *c = data;
	struct iova_ranges valid = IOVA_RANGES_INIT;
	struct vfio_iova_domain *d, *nd = NULL;
	const char *step = "allocating its state";
	struct vfio_iova_group *g;
	u64 seq;
	int ret;

	mutex_lock(&c->lock);
	seq = READ_ONCE(c->refusals.seq);
	/* Attaching may need to pin, which needs valid vaddrs. */
	if (c->vaddr_invalid_count) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_ATTACH, -EBUSY, VFIO_IOVA_WHY_STATE,
				       "group %d: live update in progress", iommu_group_id(ig));
		goto out_unlock;
	}
	if (vfio_iova_find_group(c, ig, &d)) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_ATTACH, -EINVAL, VFIO_IOVA_WHY_STATE,
				       "group %d is attached already", iommu_group_id(ig));
		goto out_unlock;
	}
	g = VFIO_IOVA_INJECT(kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT), NULL);
	if (!g) {
		ret = vfio_iova_refuse(c, VFIO_IOVA_OP_ATTACH, -ENOMEM, VFIO_IOVA_WHY_NO_MEMORY,
				       "group %d: %s failed", iommu_group_id(ig), step);
		goto out_unlock;
	}
	g->iommu_group = ig;
	g->id = iommu_group_id(ig);

	if (type == VFIO_EMULATED_IOMMU) {
		/*
		 * No IOMMU domain: nothing to check, nothing to restrict.  It
		 * can only dirty memory through interfaces that track it.
		 */
		g->pinned_page_dirty_scope = true;
		list_add_tail(&g->next, &c->emulated);
		WRITE_ONCE(c->nr_groups, c->nr_groups + 1);
		ret = 0;
		goto out_unlock;
	}

	step = "reading its reserved regions";
	ret = vfio_iova_read_resv(g);
	if (ret)
		goto out_free_group;
	if (iommu_group_for_each_dev(ig, &g->unit, vfio_iova_dev_unit) != 1) {
		step = "finding a device: none is left";
		ret = -ENODEV;
		goto out_free_group;
	}

	d = vfio_iova_attach_sibling(c, g);
	if (d) {
		ret = vfio_iova_admit(c, g, d->domain, NULL, &valid);
		if (ret) {
			iommu_detach_group(d->domain, ig);
			goto out_free_group;
		}
		list_add_tail(&g->next, &d->groups);
		goto out_commit;
	}

	step = "allocating an IOMMU domain";
	nd = VFIO_IOVA_INJECT(kzalloc(sizeof(*nd), GFP_KERNEL_ACCOUNT), NULL);
	if (!nd) {
		ret = -ENOMEM;
		goto out_free_group;
	}
	INIT_LIST_HEAD(&nd->groups);
	nd->domain = VFIO_IOVA_INJECT(vfio_iova_group_domain_alloc(ig), ERR_PTR(-ENOMEM));
	if (IS_ERR(nd->domain)) {
		ret = PTR_ERR(nd->domain);
		nd->domain = NULL;
		goto out_free_domain;
	}
	step = "enabling nesting";
	if (c->nesting) {
		ret = vfio_iova_enable_nesting(nd->domain);
		if (ret)
			goto out_free_domain;
	}
	step = "attaching it to its IOMMU domain";
	ret = VFIO_IOVA_INJECT(iommu_attach_group(nd->domain, ig), -ENOMEM);
	if (ret)
		goto out_free_domain;

	/* The ranges with this group, on a copy; mappings must fit in them. */
	ret = vfio_iova_admit(c, g, nd->domain, nd->domain, &valid);
	if (ret)
		goto out_detach;

	/* Before anything is pinned or mapped: a failure has nothing to undo. */
	step = "setting up its MSI window";
	ret = vfio_iova_msi_cookie(g, nd->domain);
	if (ret)
		goto out_detach;

	if (nd->domain->ops->enforce_cache_coherency)
		nd->enforce_cache_coherency =
			nd->domain->ops->enforce_cache_coherency(nd->domain);

	step = "moving it to an existing domain";
	ret = vfio_iova_reuse_domain(c, nd, g);
	if (ret < 0)
		goto out_free_domain;	/* the group is in no domain */
	if (ret) {
		iommu_domain_free(nd->domain);
		kfree(nd);
		goto out_commit;
	}

	step = "mapping the existing mappings into its domain";
	ret = vfio_iova_replay(c, nd);
	if (ret)
		goto out_detach;
	list_add_tail(&g->next, &nd->groups);
	list_add(&nd->next, &c->domains);
	vfio_iova_update_pgsizes(c);
out_commit:
	iova_ranges_move(&c->valid, &valid);
	WRITE_ONCE(c->nr_groups, c->nr_groups + 1);
	/* It can DMA anywhere until it declares a dirty scope by pinning. */
	c->num_non_pinned_groups++;
	ret = 0;
	goto out_unlock;

out_detach:
	iommu_detach_group(nd->domain, ig);
out_free_domain:
	if (nd && nd->domain)
		iommu_domain_free(nd->domain);
	kfree(nd);
out_free_group:
	vfio_iova_free_group(g);
	/* Failures the steps did not explain themselves. */
	if (READ_ONCE(c->refusals.seq) == seq)
		vfio_iova_refuse(c, VFIO_IOVA_OP_ATTACH, ret,
				 ret == -ENOMEM ? VFIO_IOVA_WHY_NO_MEMORY : VFIO_IOVA_WHY_IOMMU,
				 "group %d: %s failed (%pe)", iommu_group_id(ig), step,
				 ERR_PTR(ret));
out_unlock:
	iova_ranges_free(&valid);
	mutex_unlock(&c->lock);
	return ret;
}

void vfio_iova_detach_group(void *data, struct iommu_group *ig)
{
	struct vfio_iova_container *c = data;
	struct iova_ranges valid = IOVA_RANGES_INIT;
	struct vfio_iova_domain *d;
	struct vfio_iova_group *g;

	mutex_lock(&c->lock);
	g = vfio_iova_find_group(c, ig, &d);
	if (!g)
		goto out;
	list_del(&g->next);
	WRITE_ONCE(c->nr_groups, c->nr_groups - 1);
	if (d) {
		iommu_detach_group(d->domain, ig);
		if (list_empty(&d->groups)) {
			/*
			 * The last IOMMU-backed domain takes the mappings along,
			 * unless emulated groups still use them.
			 */
			if (list_is_singular(&c->domains) && list_empty(&c->emulated))
				vfio_iova_remove_all(c);
			else if (list_is_singular(&c->domains))
				vfio_iova_unpin_all(c);
			list_del(&d->next);
			iommu_domain_free(d->domain);
			kfree(d);
			vfio_iova_update_pgsizes(c);
		}
	} else if (list_empty(&c->emulated) && !vfio_iova_has_domain(c)) {
		vfio_iova_remove_all(c);
	}
	/* A group without a dirty scope leaves: every page may have been hit. */
	if (!g->pinned_page_dirty_scope) {
		c->num_non_pinned_groups--;
		vfio_iova_dirty_all(c);
	}
	vfio_iova_free_group(g);

	/* Ranges may widen again; if that cannot be computed, stay narrow. */
	if (!vfio_iova_compute(c, NULL, NULL, &valid))
		iova_ranges_move(&c->valid, &valid);
	iova_ranges_free(&valid);
out:
	mutex_unlock(&c->lock);
}

/* Container release: every mapping is gone already. */
void vfio_iova_release_domains(struct vfio_iova_container *c)
{
	struct vfio_iova_domain *d, *dtmp;
	struct vfio_iova_group *g, *gtmp;

	list_for_each_entry_safe(d, dtmp, &c->domains, next) {
		list_for_each_entry_safe(g, gtmp, &d->groups, next) {
			iommu_detach_group(d->domain, g->iommu_group);
			list_del(&g->next);
			vfio_iova_free_group(g);
		}
		list_del(&d->next);
		iommu_domain_free(d->domain);
		kfree(d);
	}
}
