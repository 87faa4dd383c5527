// SPDX-License-Identifier: GPL-2.0
/* pin_user_pages_remote() without vmas (since v6.5). */
#include <linux/mm.h>

long (*vfio_iova_probe)(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			unsigned int gup_flags, struct page **pages,
			int *locked) = pin_user_pages_remote;
