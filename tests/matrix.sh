#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the module for every supported kernel line (tests/kernels.conf), each
# in its own directory .build/<abi>/, with W=1 and sparse (C=2), here or in
# the line's build root (tests/kernels.conf).  Any warning
# fails the build.  Prints one TAP line per build: two per kernel line.
set -u
. "$(dirname "$0")/lib/common.sh"

n=0
failed=0
# No module of an earlier run may stand in for one this run failed to build.
for d in "$TOP"/.build/*/; do
	[ ! -e "$d/Kbuild" ] || rm -rf "$d"
done
# Each line twice: the module as shipped, and the test build with the
# fault-injection switch (src/inject.h) in .build/<abi>-inject/.
# Where the time goes: the downloads and roots of a line (on a fresh
# machine), then its builds.
start=$SECONDS
for line in $(kernel_lines); do
	t=$SECONDS
	abi=$(kernel_abi "$line") || exit 1
	root=$(kernel_root "$abi") || exit 1
	BUILD_SUITE=$(kernel_suite "$line") || exit 1
	mapfile -t vars < <(line_make_vars "$line" "$abi")
	[ "${#vars[@]}" -gt 0 ] || die "no headers for $line ($abi)"
	echo "# $line: kernel and headers ready in $((SECONDS - t)) s (at $((SECONDS - start)) s)"
	build_module "$line ($abi)" "$abi" "$root" "$TOP/.build/$abi" "${vars[@]}"
	build_module "$line ($abi) with fault injection" "$abi" "$root" "$TOP/.build/$abi-inject" \
		"${vars[@]}" VFIO_IOVA_FAULT_INJECT=1
	echo "# $line: built at $((SECONDS - start)) s"
done
exit $((failed > 0))
