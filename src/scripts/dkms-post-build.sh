#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dkms-post-build.sh DIR: DKMS's POST_BUILD step (see dkms.conf).
#
# For kernels whose modules are xz-compressed (Debian's 6.12), dkms 3.0.10
# compresses the module with xz's defaults: a CRC64 check and an 8 MiB
# dictionary.  Since kmod hands compressed modules to the kernel, the
# kernel's own XZ decoder has to read it, and it only knows CRC32 and
# dictionaries up to 1 MiB: modprobe then fails with "Invalid ELF header
# magic" (Debian bug #1061427).  Recompress each module in DIR the way
# kbuild does.  The signature is inside the module, so it is kept.
set -eu
dir=$1
for f in "$dir"/*.ko.xz; do
	[ -e "$f" ] || continue
	xz -dc "$f" | xz --check=crc32 --lzma2=dict=1MiB -c >"$f.tmp"
	mv "$f.tmp" "$f"
	echo "vfio-iommu-iova: recompressed $(basename "$f") for the kernel's XZ decoder (CRC32, 1 MiB)"
done
