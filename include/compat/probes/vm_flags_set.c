// SPDX-License-Identifier: GPL-2.0
/* vm_flags_set(), with vma->vm_flags read-only (v6.3 and later). */
#include <linux/mm.h>

static void vfio_iova_probe_set(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_IO);
}

void (*vfio_iova_probe)(struct vm_area_struct *vma) = vfio_iova_probe_set;
