#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install everything `make check` needs on a fresh Debian 12 machine (root),
# and the packages given as arguments (make check-debug's kernel build):
# build tools, QEMU for x86 and arm64, busybox, sparse, pahole, the arm64
# cross compiler, the headers of every supported kernel line of this
# machine's architecture (resolved from the archive now) and
# linux-source-6.1 for checkpatch.pl, dkms and debhelper for the package
# test, debootstrap for the build roots of lines whose headers need a newer
# Debian, mmdebstrap for the other architectures' clients, qemu-user for
# their programs, node_exporter for the tool's metrics.  Kernel images,
# and arm64's headers, are not installed here: they are downloaded and
# unpacked into the cache (but Debian's 6.12 headers package itself depends
# on its image), and tests/dkms/run.sh installs kernels for real, as its
# test.
set -eu
. "$(dirname "$0")/lib/common.sh"

[ "$(id -u)" = 0 ] || die "run as root (apt-get install), or set VFIO_IOVA_NO_INSTALL=1"
export DEBIAN_FRONTEND=noninteractive
stamp=$CACHE/apt-updated
mkdir -p "$CACHE"
# A run killed while dpkg configured a kernel (its postinst runs DKMS) leaves
# dpkg half-done, and apt then refuses every install: finish the job first.
if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
	echo "dpkg was interrupted earlier: dpkg --configure -a"
	dpkg --configure -a >"$CACHE/dpkg-configure.log" 2>&1 ||
		{ tail -n 30 "$CACHE/dpkg-configure.log"; die "dpkg --configure -a failed"; }
fi
# The other architectures' kernels, headers and busybox are downloaded and
# unpacked, never installed: apt must know their packages.
for arch in $(kernel_archs); do
	[ "$arch" = "$HOST_ARCH" ] || dpkg --print-foreign-architectures | grep -qx "$arch" ||
		{ dpkg --add-architecture "$arch" && rm -f "$stamp"; }
done
# One apt-get update per day is enough to follow Debian's kernel updates.
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
	apt-get update -q >/dev/null
	touch "$stamp"
fi
pkgs="build-essential libc6-dev make gcc perl kmod cpio xz-utils zstd sparse dwarves
	qemu-system-x86 busybox-static linux-source-6.1 bc dpdk-dev librte-net-e1000-23
	dkms dh-dkms debhelper openssl dpkg-dev python3 debootstrap mmdebstrap
	qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static binfmt-support
	prometheus-node-exporter libjansson-dev $*"
# The headers of the lines built here; a line with a build root of its own
# (tests/kernels.conf) gets them there, on its first build (debootstrap).
for line in $(kernel_lines); do
	[ "$(kernel_suite "$line")" != - ] || [ "$(kernel_arch "$line")" != "$HOST_ARCH" ] ||
		pkgs="$pkgs linux-headers-$(kernel_abi "$line")"
done
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	apt-get install -y -q --no-install-recommends $missing >"$CACHE/apt-install.log" 2>&1 ||
		{ tail -n 30 "$CACHE/apt-install.log"; die "apt-get install failed"; }
fi
