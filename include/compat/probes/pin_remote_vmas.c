// SPDX-License-Identifier: GPL-2.0
/* pin_user_pages_remote() with a vmas argument (before v6.5). */
#include <linux/mm.h>

long (*vfio_iova_probe)(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			unsigned int gup_flags, struct page **pages,
			struct vm_area_struct **vmas, int *locked) = pin_user_pages_remote;
