#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# install.sh [--dkms] [--kernel ABI]
#
# On a Debian machine, as root: install what building the module needs
# (the kernel's headers, dkms, pahole for the BTF check, a compiler), check
# that the kernel's private VFIO layout is one this module knows, then
# build and install the Debian package vfio-iommu-iova-dkms (and the
# vfio-iova tool), or with --dkms install the module through DKMS straight
# from this tree.  ABI defaults to the running kernel.  Works from a clone
# and from an unpacked release tarball (make dist) alike.
set -eu
die() {
	echo "vfio-iommu-iova install: $*" >&2
	exit 1
}

mode=deb
kver=$(uname -r)
while [ $# -gt 0 ]; do
	case $1 in
	--dkms) mode=dkms ;;
	--kernel) [ $# -ge 2 ] || die "--kernel needs a kernel ABI (as uname -r prints it)"; kver=$2; shift ;;
	-h | --help) sed -n '3,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
top=$(cd "$(dirname "$0")/.." && pwd)

[ "$(id -u)" = 0 ] || die "run as root: sudo $0"
command -v apt-get >/dev/null 2>&1 || die "this installer needs Debian's apt-get; see README.md, \"By hand\""
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || die "apt-get update failed"
# The headers come from Debian's archive: no package, no supported kernel.
apt-cache show "linux-headers-$kver" >/dev/null 2>&1 ||
	die "kernel $kver: Debian has no linux-headers-$kver package, so this is not a Debian kernel this module can be built for (see README.md, \"Supported kernels\")"
pkgs="linux-headers-$kver dkms dwarves make gcc libc6-dev kmod"
[ "$mode" = dkms ] || pkgs="$pkgs dpkg-dev debhelper dh-dkms libjansson-dev"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs >/dev/null ||
	die "apt-get install $pkgs failed"
# The layout guard: an unverified kernel stops here, with the reason.
make -s -C "$top" layout KVER="$kver" || die "kernel $kver is not supported (see the message above)"

if [ "$mode" = dkms ]; then
	make -s -C "$top" dkms-install KVER="$kver" || die "make dkms-install failed"
else
	make -s -C "$top" deb >/dev/null || die "make deb failed (log: $top/.build/deb/build.log)"
	apt-get install -y -q "$top"/.build/deb/vfio-iommu-iova-dkms_*_all.deb \
		"$top"/.build/deb/vfio-iova_*.deb >/dev/null || die "installing the packages failed"
fi
echo "vfio-iommu-iova is installed for $kver (${mode}).  Once that kernel runs:"
echo "  modprobe vfio-pci      # loads it, by the modprobe.d rule"
echo "  cat /sys/kernel/debug/vfio-iommu-iova/containers    # what it serves"
