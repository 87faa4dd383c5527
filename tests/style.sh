#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict --no-tree over the module's sources, with the
# checkpatch.pl of the linux-source-6.1 package (unpacked into the cache).
set -u
. "$(dirname "$0")/lib/common.sh"

cp_dir=$CACHE/checkpatch
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n1)
	[ -n "$tarball" ] || die "linux-source-6.1 is not installed"
	mkdir -p "$cp_dir"
	tar -xf "$tarball" -C "$cp_dir" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch || die "cannot unpack checkpatch"
fi
cd "$TOP" || exit 1
list() {
	git ls-files -co --exclude-standard "$@" 2>/dev/null | grep -v /generated/
}
# The module: everything checkpatch has to say counts.
kernel=$(list 'src/*.[ch]' 'include/*.h')
# User-space code (tests, the vfio-iova tool): the same, except the rules that only make sense in
# the kernel (kernel integer types, volatile for MMIO, the kernel's attribute
# macros).
user=$(list 'tests/*.[ch]' 'tools/*.[ch]')
cp=("$cp_dir/scripts/checkpatch.pl" --strict --no-tree --no-summary --terse)
# shellcheck disable=SC2086
out=$("${cp[@]}" -f $kernel 2>&1;
	"${cp[@]}" --ignore PREFER_KERNEL_TYPES,VOLATILE,PREFER_DEFINED_ATTRIBUTE_MACRO -f $user 2>&1)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "checkpatch --strict: $(echo $kernel | wc -w) module files, $(echo $user | wc -w) test and tool files clean"
