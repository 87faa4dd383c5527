// SPDX-License-Identifier: GPL-2.0
/*
 * The test builds' fault-injection switch (see inject.h).  One thread at a
 * time is the target: the last one that wrote fail-nth or fail-func.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/kstrtox.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "inject.h"

static atomic_t vfio_iova_fail_nth = ATOMIC_INIT(0);
static pid_t vfio_iova_fail_tid;
static DEFINE_SPINLOCK(vfio_iova_fail_lock);
static char vfio_iova_fail_site[64];
static char vfio_iova_fail_funcs[128];	/* fail-func */
static bool vfio_iova_fail_funcs_set;	/* it is not empty */
static unsigned long vfio_iova_fail_count;
static unsigned long vfio_iova_pgsize_min;	/* pgsize-min */

/* Is @func one of the blank-separated names in vfio_iova_fail_funcs? */
static bool vfio_iova_func_listed(const char *func)
{
	size_t len = strlen(func);
	const char *p;

	for (p = vfio_iova_fail_funcs; *p; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		if (!strncmp(p, func, len) && (p[len] == ' ' || !p[len]))
			return true;
	}
	return false;
}

bool vfio_iova_inject_fail(const char *func, int line)
{
	bool listed = false;

	if (READ_ONCE(vfio_iova_fail_tid) != task_pid_nr(current))
		return false;
	if (READ_ONCE(vfio_iova_fail_funcs_set)) {
		spin_lock(&vfio_iova_fail_lock);
		listed = vfio_iova_func_listed(func);
		spin_unlock(&vfio_iova_fail_lock);
	}
	if (!listed && (atomic_read(&vfio_iova_fail_nth) <= 0 ||
			!atomic_dec_and_test(&vfio_iova_fail_nth)))
		return false;
	spin_lock(&vfio_iova_fail_lock);
	snprintf(vfio_iova_fail_site, sizeof(vfio_iova_fail_site), "%s:%d", func, line);
	vfio_iova_fail_count++;
	spin_unlock(&vfio_iova_fail_lock);
	return true;
}

unsigned long vfio_iova_inject_pgsizes(unsigned long pgsizes)
{
	unsigned long min = READ_ONCE(vfio_iova_pgsize_min);

	/* Its smallest page becomes @min, its larger ones stay. */
	return min ? (pgsizes & ~(min - 1)) | min : pgsizes;
}

static int pgsize_min_get(void *data, u64 *val)
{
	*val = READ_ONCE(vfio_iova_pgsize_min);
	return 0;
}

static int pgsize_min_set(void *data, u64 val)
{
	if (val & (val - 1) || val > ULONG_MAX / 2 + 1)
		return -EINVAL;
	WRITE_ONCE(vfio_iova_pgsize_min, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pgsize_min_fops, pgsize_min_get, pgsize_min_set, "%llu\n");

static ssize_t fail_nth_read(struct file *file, char __user *buf, size_t len, loff_t *pos)
{
	char s[16];
	int n;

	n = scnprintf(s, sizeof(s), "%d\n", atomic_read(&vfio_iova_fail_nth));
	return simple_read_from_buffer(buf, len, pos, s, n);
}

static ssize_t fail_nth_write(struct file *file, const char __user *buf, size_t len,
			      loff_t *pos)
{
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(buf, len, 0, &n);
	if (ret)
		return ret;
	if (n > INT_MAX)
		return -EINVAL;
	atomic_set(&vfio_iova_fail_nth, 0);
	WRITE_ONCE(vfio_iova_fail_tid, task_pid_nr(current));
	atomic_set(&vfio_iova_fail_nth, n);
	return len;
}

static const struct file_operations fail_nth_fops = {
	.owner = THIS_MODULE,
	.read = fail_nth_read,
	.write = fail_nth_write,
	.llseek = default_llseek,
};

static ssize_t fail_func_read(struct file *file, char __user *buf, size_t len, loff_t *pos)
{
	char s[sizeof(vfio_iova_fail_funcs) + 1];
	int n;

	spin_lock(&vfio_iova_fail_lock);
	n = scnprintf(s, sizeof(s), "%s\n", vfio_iova_fail_funcs);
	spin_unlock(&vfio_iova_fail_lock);
	return simple_read_from_buffer(buf, len, pos, s, n);
}

static ssize_t fail_func_write(struct file *file, const char __user *buf, size_t len,
			       loff_t *pos)
{
	char s[sizeof(vfio_iova_fail_funcs)];

	if (len >= sizeof(s))
		return -EINVAL;
	if (copy_from_user(s, buf, len))
		return -EFAULT;
	s[len] = 0;
	spin_lock(&vfio_iova_fail_lock);
	/* "-" (or nothing) clears the list. */
	strscpy(vfio_iova_fail_funcs, strcmp(strim(s), "-") ? strim(s) : "",
		sizeof(vfio_iova_fail_funcs));
	WRITE_ONCE(vfio_iova_fail_funcs_set, vfio_iova_fail_funcs[0] != 0);
	spin_unlock(&vfio_iova_fail_lock);
	WRITE_ONCE(vfio_iova_fail_tid, task_pid_nr(current));
	return len;
}

static const struct file_operations fail_func_fops = {
	.owner = THIS_MODULE,
	.read = fail_func_read,
	.write = fail_func_write,
	.llseek = default_llseek,
};

static int fail_site_show(struct seq_file *s, void *unused)
{
	spin_lock(&vfio_iova_fail_lock);
	seq_printf(s, "%s %lu\n", vfio_iova_fail_site[0] ? vfio_iova_fail_site : "-",
		   vfio_iova_fail_count);
	spin_unlock(&vfio_iova_fail_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fail_site);

void vfio_iova_inject_debugfs(struct dentry *root)
{
	debugfs_create_file("fail-nth", 0600, root, NULL, &fail_nth_fops);
	debugfs_create_file("fail-site", 0400, root, NULL, &fail_site_fops);
	debugfs_create_file("fail-func", 0600, root, NULL, &fail_func_fops);
	debugfs_create_file_unsafe("pgsize-min", 0600, root, NULL, &pgsize_min_fops);
}
