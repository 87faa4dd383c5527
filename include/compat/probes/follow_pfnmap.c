// SPDX-License-Identifier: GPL-2.0
/* follow_pfnmap_start()/_end() (since v6.12). */
#include <linux/mm.h>

int (*vfio_iova_probe)(struct follow_pfnmap_args *args) = follow_pfnmap_start;
void (*vfio_iova_probe_end)(struct follow_pfnmap_args *args) = follow_pfnmap_end;
