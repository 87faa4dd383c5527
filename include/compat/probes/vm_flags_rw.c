// SPDX-License-Identifier: GPL-2.0
/* vma->vm_flags written directly (before v6.3). */
#include <linux/mm.h>

static void vfio_iova_probe_set(struct vm_area_struct *vma)
{
	vma->vm_flags |= VM_IO;
}

void (*vfio_iova_probe)(struct vm_area_struct *vma) = vfio_iova_probe_set;
