// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only introspection under /sys/kernel/debug/vfio-iommu-iova/:
 *
 *   containers           one line per container (read without the
 *                        containers' locks)
 *   <id>/ranges          the valid IOVA ranges ("unrestricted" without a domain)
 *   <id>/groups          each group: domain aperture and reserved regions
 *   <id>/mappings        each mapping: IOVA range, size, permissions, pages
 *                        charged (never a user address)
 *   <id>/stats           counters and the reason of the last refusal
 *   <id>/refusals        refusals by request and by reason, and the last one
 *                        (read without the container's lock)
 *
 * A container's own files take its lock; files are removed before their
 * container is freed, and debugfs waits for readers in between.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "internal.h"

static struct dentry *vfio_iova_debugfs_root;

static void vfio_iova_show_ranges_locked(struct seq_file *s, struct vfio_iova_container *c)
{
	u32 i;

	if (!vfio_iova_has_domain(c)) {
		seq_puts(s, "unrestricted (no IOMMU domain)\n");
		return;
	}
	for (i = 0; i < c->valid.nr; i++)
		seq_printf(s, "%#018llx-%#018llx\n", c->valid.v[i].start, c->valid.v[i].last);
}

static int ranges_show(struct seq_file *s, void *unused)
{
	struct vfio_iova_container *c = s->private;

	mutex_lock(&c->lock);
	vfio_iova_show_ranges_locked(s, c);
	mutex_unlock(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ranges);

static void vfio_iova_show_group(struct seq_file *s, struct vfio_iova_group *g,
				 struct vfio_iova_domain *d)
{
	unsigned int i;

	seq_printf(s, "group %d", g->id);
	if (d)
		seq_printf(s, " aperture %#llx-%#llx pgsizes %#lx coherent %d\n",
			   (u64)d->domain->geometry.aperture_start,
			   (u64)d->domain->geometry.aperture_end,
			   d->domain->pgsize_bitmap, d->enforce_cache_coherency);
	else
		seq_puts(s, " emulated (no IOMMU domain)\n");
	for (i = 0; i < g->nr_resv; i++)
		seq_printf(s, "  reserved %#018llx-%#018llx %s%s\n", g->resv[i].start,
			   g->resv[i].last, vfio_iova_resv_type_name(g->resv[i].type),
			   g->resv[i].type == IOMMU_RESV_DIRECT_RELAXABLE ? " (not excluded)" : "");
}

static int groups_show(struct seq_file *s, void *unused)
{
	struct vfio_iova_container *c = s->private;
	struct vfio_iova_domain *d;
	struct vfio_iova_group *g;

	mutex_lock(&c->lock);
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			vfio_iova_show_group(s, g, d);
	list_for_each_entry(g, &c->emulated, next)
		vfio_iova_show_group(s, g, NULL);
	mutex_unlock(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(groups);

static int mappings_show(struct seq_file *s, void *unused)
{
	struct vfio_iova_container *c = s->private;
	struct rb_node *n;

	mutex_lock(&c->lock);
	for (n = rb_first(&c->dmas); n; n = rb_next(n)) {
		struct vfio_iova_dma *dma = rb_entry(n, struct vfio_iova_dma, node);

		seq_printf(s, "%#018llx-%#018llx size %#llx %c%c pinned %lu%s\n",
			   dma->iova, vfio_iova_dma_last(dma), dma->size,
			   dma->prot & IOMMU_READ ? 'r' : '-',
			   dma->prot & IOMMU_WRITE ? 'w' : '-', dma->locked,
			   dma->iommu_mapped ? "" : " (not mapped: no IOMMU domain)");
	}
	mutex_unlock(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mappings);

static int stats_show(struct seq_file *s, void *unused)
{
	struct vfio_iova_container *c = s->private;
	struct vfio_iova_refusals *r = &c->refusals;

	mutex_lock(&c->lock);
	seq_printf(s, "owner: %d %s\n", c->owner_pid, c->owner_comm);
	seq_printf(s, "type: %s\n", c->nesting ? "type1-nesting" : c->v2 ? "type1v2" : "type1");
	seq_printf(s, "domains: %zu\n", list_count_nodes(&c->domains));
	seq_printf(s, "mappings: %u\n", c->nr_dmas);
	seq_printf(s, "dma_avail: %u\n", c->dma_avail);
	seq_printf(s, "pinned_pages: %lu\n", c->locked);
	seq_printf(s, "maps: %llu\n", c->stats.maps);
	seq_printf(s, "unmaps: %llu\n", c->stats.unmaps);
	seq_printf(s, "refused_maps: %llu\n", READ_ONCE(r->ops[VFIO_IOVA_OP_MAP]));
	seq_printf(s, "refused_attaches: %llu\n", READ_ONCE(r->ops[VFIO_IOVA_OP_ATTACH]));
	mutex_unlock(&c->lock);
	spin_lock(&r->lock);
	if (r->seq)
		seq_printf(s, "last_refusal: %s %s (%d): %s\n", vfio_iova_op_name(r->op),
			   vfio_iova_why_name(r->why), r->err, r->text);
	else
		seq_puts(s, "last_refusal: none\n");
	spin_unlock(&r->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/*
 * One "key: value" per line: the number of refusals, the last one (its
 * request, errno, reason and details), and the count of each request and
 * each reason, for vfio-iova's "why" and "metrics".
 */
static int refusals_show(struct seq_file *s, void *unused)
{
	struct vfio_iova_container *c = s->private;
	struct vfio_iova_refusals *r = &c->refusals;
	unsigned int i;

	spin_lock(&r->lock);
	seq_printf(s, "refusals: %llu\n", r->seq);
	if (r->seq) {
		seq_printf(s, "last_op: %s\n", vfio_iova_op_name(r->op));
		seq_printf(s, "last_errno: %d\n", r->err);
		seq_printf(s, "last_reason: %s\n", vfio_iova_why_name(r->why));
		seq_printf(s, "last_text: %s\n", r->text);
	}
	for (i = 0; i < VFIO_IOVA_NR_OPS; i++)
		seq_printf(s, "op.%s: %llu\n", vfio_iova_op_name(i), r->ops[i]);
	for (i = 0; i < VFIO_IOVA_NR_WHYS; i++)
		seq_printf(s, "reason.%s: %llu\n", vfio_iova_why_name(i), r->count[i]);
	spin_unlock(&r->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(refusals);

static int containers_show(struct seq_file *s, void *unused)
{
	struct vfio_iova_container *c;

	seq_puts(s, "id pid comm type groups mappings pinned_pages refused_maps refused_attaches\n");
	mutex_lock(&vfio_iova_list_lock);
	/*
	 * Never wait for a container under the list lock: an ioctl can hold
	 * one for as long as its user memory takes to fault in, and every
	 * VFIO_SET_IOMMU on the host needs the list lock.  So the counts are
	 * read without the containers' locks (they are written under them).
	 */
	list_for_each_entry(c, &vfio_iova_containers, all)
		seq_printf(s, "%u %d %s %s %u %u %lu %llu %llu\n", c->id, c->owner_pid,
			   c->owner_comm, c->v2 ? "type1v2" : "type1", READ_ONCE(c->nr_groups),
			   READ_ONCE(c->nr_dmas), READ_ONCE(c->locked),
			   READ_ONCE(c->refusals.ops[VFIO_IOVA_OP_MAP]),
			   READ_ONCE(c->refusals.ops[VFIO_IOVA_OP_ATTACH]));
	mutex_unlock(&vfio_iova_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(containers);

void vfio_iova_debugfs_init(void)
{
	vfio_iova_debugfs_root = debugfs_create_dir(VFIO_IOVA_NAME, NULL);
	debugfs_create_file("containers", 0444, vfio_iova_debugfs_root, NULL,
			    &containers_fops);
	vfio_iova_inject_debugfs(vfio_iova_debugfs_root);
}

void vfio_iova_debugfs_exit(void)
{
	debugfs_remove_recursive(vfio_iova_debugfs_root);
}

void vfio_iova_debugfs_add(struct vfio_iova_container *c)
{
	char name[16];

	snprintf(name, sizeof(name), "%u", c->id);
	c->debugfs = debugfs_create_dir(name, vfio_iova_debugfs_root);
	debugfs_create_file("ranges", 0444, c->debugfs, c, &ranges_fops);
	debugfs_create_file("groups", 0444, c->debugfs, c, &groups_fops);
	debugfs_create_file("mappings", 0444, c->debugfs, c, &mappings_fops);
	debugfs_create_file("stats", 0444, c->debugfs, c, &stats_fops);
	debugfs_create_file("refusals", 0444, c->debugfs, c, &refusals_fops);
}

void vfio_iova_debugfs_remove(struct vfio_iova_container *c)
{
	debugfs_remove_recursive(c->debugfs);
}
