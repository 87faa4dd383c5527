// SPDX-License-Identifier: GPL-2.0
/* follow_pte(mm, address, ptepp, ptlp) (before v6.10). */
#include <linux/mm.h>

int (*vfio_iova_probe)(struct mm_struct *mm, unsigned long address, pte_t **ptepp,
		       spinlock_t **ptlp) = follow_pte;
