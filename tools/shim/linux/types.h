/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for <linux/types.h>: src/iova_ranges.c in user space. */
#ifndef SHIM_LINUX_TYPES_H
#define SHIM_LINUX_TYPES_H
#include_next <linux/types.h>	/* the UAPI __u32 & co., for <linux/vfio.h> */
#include <stdbool.h>
#include <stddef.h>

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
#define U64_MAX (~0ULL)
#endif
