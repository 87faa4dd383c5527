#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the module for every supported kernel line (tests/kernels.conf), each
# in its own directory .build/<abi>/, with W=1 and sparse (C=2).  Any warning
# fails the build.  Prints one TAP line per kernel line.
set -u
. "$(dirname "$0")/lib/common.sh"

n=0
failed=0
for line in $(kernel_lines); do
	n=$((n + 1))
	abi=$(kernel_abi "$line") || exit 1
	root=$(kernel_root "$abi") || exit 1
	out=$TOP/.build/$abi
	log=$TOP/.build/$abi.log
	rm -rf "$out"
	mkdir -p "$out"
	cp -r "$TOP/Kbuild" "$TOP/Makefile" "$TOP/src" "$TOP/include" "$out/"
	mkdir -p "$out/tests"
	cp -r "$TOP/tests/mdev" "$out/tests/"
	rm -rf "$out/include/generated"
	if ! make -C "$out" KVER="$abi" KROOT="$root" W=1 C=2 VFIO_IOVA_TESTS=1 >"$log" 2>&1; then
		echo "not ok $n - build $line ($abi)"
		sed 's/^/#   /' "$log" | tail -n 30
		failed=$((failed + 1))
	elif grep -E -i 'warning|error:' "$log" | grep -v -q '^Skipping BTF'; then
		echo "not ok $n - build $line ($abi): warnings"
		grep -E -i 'warning|error:' "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	else
		echo "ok $n - build $line ($abi), W=1 C=2, no warnings"
	fi
done
exit $((failed > 0))
