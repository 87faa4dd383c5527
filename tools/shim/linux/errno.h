/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for <linux/errno.h>: the UAPI one has the values. */
#ifndef SHIM_LINUX_ERRNO_H
#define SHIM_LINUX_ERRNO_H
#include_next <linux/errno.h>
#endif
