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
files=$(git ls-files -co --exclude-standard 'src/*.[ch]' 'include/*.h' 'tests/*.c' 'tests/*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find src include tests -name '*.[ch]' -not -path '*/generated/*')
# shellcheck disable=SC2086
out=$("$cp_dir/scripts/checkpatch.pl" --strict --no-tree --no-summary --terse \
	-f $files 2>&1)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "checkpatch --strict: $(echo "$files" | wc -w) files clean"
