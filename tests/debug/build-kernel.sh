#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/debug/build-kernel.sh: build, once, the sanitizer kernel of
# make check-debug from Debian's linux-source-6.1: x86_64_defconfig and
# kvm_guest.config with tests/debug/debug.config merged on top (KASAN,
# lockdep, DEBUG_LIST, kmemleak, BTF, VFIO and the IOMMUs of the scenarios).
# It lives in the cache, outside the repository: $CACHE/debug-6.1/, with
# src/ (the tree, for building our module against) and root/ (boot/ and
# lib/modules/, as an extracted kernel package).  A change of debug.config
# rebuilds.  Prints the kernel release.
set -eu
. "$(dirname "$0")/../lib/common.sh"

dir=$CACHE/debug-6.1
src=$dir/src
stamp=$dir/.built-$(sha256sum "$TOP/tests/debug/debug.config" | cut -c1-16)
if [ ! -e "$stamp" ]; then
	if [ ! -e "$src/Makefile" ]; then
		tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n1)
		[ -n "$tarball" ] || die "linux-source-6.1 is not installed"
		rm -rf "$src" && mkdir -p "$src"
		tar -xf "$tarball" -C "$src" --strip-components=1 || die "cannot unpack $tarball"
	fi
	cd "$src"
	make -s x86_64_defconfig kvm_guest.config >/dev/null
	scripts/kconfig/merge_config.sh -m .config "$TOP/tests/debug/debug.config" >/dev/null
	make -s olddefconfig
	for opt in KASAN PROVE_LOCKING DEBUG_LIST DEBUG_KMEMLEAK DEBUG_INFO_BTF_MODULES \
		VFIO_IOMMU_TYPE1 VFIO_MDEV INTEL_IOMMU AMD_IOMMU VIRTIO_IOMMU IRQ_REMAP \
		HOTPLUG_PCI_PCIE 9P_FS VIRTIO_PCI E1000E USERFAULTFD; do
		grep -q "^CONFIG_$opt=[ym]" .config || die "the debug kernel's config lost CONFIG_$opt"
	done
	echo "building the debug kernel in $src (once; about an hour on 2 cores)" >&2
	make -j"$(nproc)" LOCALVERSION=-vfio-iova-debug bzImage modules >"$dir/build.log" 2>&1 ||
		{ tail -n 30 "$dir/build.log" >&2; die "the debug kernel did not build"; }
	kver=$(make -s LOCALVERSION=-vfio-iova-debug kernelrelease)
	rm -rf "$dir/root"
	make -s LOCALVERSION=-vfio-iova-debug modules_install INSTALL_MOD_PATH="$dir/root" \
		>/dev/null || die "modules_install failed"
	mkdir -p "$dir/root/boot"
	cp arch/x86/boot/bzImage "$dir/root/boot/vmlinuz-$kver"
	echo "$kver" >"$dir/release"
	touch "$stamp"
fi
cat "$dir/release"
