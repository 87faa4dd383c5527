#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DKMS and Debian package path, end to end, the way a user lives it, on
# this machine (root; it installs and removes real packages):
#
# For each order of the kernel lines (old, new; make check: the first
# two lines in their order, make check-all: also the other way round):
#   1. only the old line's kernel (image and headers) is installed;
#   2. apt install ./vfio-iommu-iova-dkms_*.deb: DKMS builds, signs and
#      installs the module for the old kernel, the modprobe.d rule lands;
#   3. the "kernel upgrade": apt install the new line's image and headers;
#      DKMS must build the module for it by itself;
#   4. boot the new kernel under QEMU with this machine's root filesystem:
#      the real modprobe and modprobe.d, the real /lib/modules.  modprobe
#      vfio-pci loads our module, and Debian's QEMU with -device vfio-pci is
#      served by it (tests/dkms/guest-init);
#   5. apt remove: no module, source, DKMS tree or rule is left, and the same
#      boot now gets the stock backend.
# At the end both lines are installed again and our package is not.
#   6. for a line with a build root of its own (7.x), the same upgrade
#      inside a copy of that root (see unstable_step below).
# TAP on stdout; OUT (default tests/out/dkms) keeps logs and guest output.

set -u
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/guest.sh"
OUT=${OUT:-$TOP/tests/out/dkms}
PKG=vfio-iommu-iova-dkms
export DEBIAN_FRONTEND=noninteractive
[ "$(id -u)" = 0 ] || die "the DKMS test installs packages: run it as root"
rm -rf "$OUT"
mkdir -p "$OUT"
log=$OUT/apt.log

apt_do() {	# apt_do ARGS...: apt-get, output to the log
	echo "+ apt-get $*" >>"$log"
	apt-get -y -q "$@" >>"$log" 2>&1
}
installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'; }
kernel_pkgs() { echo "linux-image-$1 linux-headers-$1"; }
ours_for() { find "/lib/modules/$1/updates" -name 'vfio_iommu_iova.ko*' 2>/dev/null | head -n1; }

# The packages as a user of the release makes them: from the tarball of
# make dist, unpacked where no git repository is.
make -C "$TOP" -s dist >"$OUT/dist.log" 2>&1 || { tail -n 20 "$OUT/dist.log"; die "make dist failed"; }
rel=$(mktemp -d /tmp/vfio-iova-release.XXXXXX)
tar -C "$rel" -xzf "$TOP/$(tail -n1 "$OUT/dist.log")" || die "cannot unpack the release tarball"
rel=$(ls -d "$rel"/vfio-iommu-iova-*)
make -C "$rel" -s deb >"$OUT/deb.log" 2>&1 || { tail -n 20 "$OUT/deb.log"; die "make deb (from the release tarball) failed"; }
deb=$(ls "$rel"/.build/deb/${PKG}_*_all.deb)
tool=$(ls "$rel"/.build/deb/vfio-iova_*.deb)
check "make deb (release tarball, no git) builds $PKG with dh-dkms" "[ -f '$deb' ] && dpkg-deb -f '$deb' Depends | grep -q dkms"
check "make deb builds the vfio-iova tool package" "[ -f '$tool' ]"

# Start clean: not ours, whatever an earlier run left.
installed $PKG && apt_do remove $PKG
apt_do purge $PKG vfio-iova

# guest NAME ABI LINE LAYOUT MODE [ROOT]: boot ABI's kernel, installed in
# ROOT (default: this machine), with ROOT as the guest's 9p root; judge it.
guest() {
	local name=$1 abi=$2 line=$3 layout=$4 mode=$5 root=${6:-/} dir=$OUT/$1 dir2 res
	mkdir -p "$dir"
	dir2=$(mktemp -d) || return 1
	mkdir -p "$dir2"/{bin,dev,proc,sys,etc,lib/vfio-iova/mods}
	cp "$(busybox_of "$(abi_arch "$abi")")" "$dir2/bin/busybox" &&
		cp "$TOP/tests/dkms/guest-init" "$dir2/init" &&
		results_channel "$root" "$abi" "$dir2" &&
		add_modules "$root" "$abi" "$dir2" 9p 9pnet_virtio virtio_pci || return 1
	chmod 755 "$dir2"
	(cd "$dir2" && find . | cpio -o -H newc --quiet) >"$dir/base.cpio"
	rm -rf "$dir2"
	GUEST_ROOT=$root GUEST_ABI=$abi GUEST_HOSTROOT=$root boot_scenario "$name" "$line" "$layout" \
		"$dir/base.cpio" "$dir" "MODE=$mode" \
		>"$dir/qemu.log" 2>&1
	grep -E "^(not ok|#)" "$dir/results.tap" 2>/dev/null | sed "s/^/# guest: /"
	res=$(judge "$dir/results.tap")
	check "$name: guest ($mode, $abi, $layout): ${res% *} passed, ${res#* } failed" \
		"judge '$dir/results.tap' >/dev/null"
}

mapfile -t lines < <(kernel_lines amd64)
[ ${#lines[@]} -ge 2 ] || die "the DKMS test needs two kernel lines in tests/kernels.conf"
orders=("${lines[0]} ${lines[1]} intel48")
# The other order (a downgrade, as after booting an older kernel) in make
# check-all only.
[ -z "${VFIO_IOVA_ALL:-}" ] || orders+=("${lines[1]} ${lines[0]} amd")
for order in "${orders[@]}"; do
	read -r old new layout <<<"$order"
	oabi=$(kernel_abi "$old") && nabi=$(kernel_abi "$new") || exit 1
	echo "# order: $old ($oabi) installed first, then $new ($nabi)"

	# 1. Only the old kernel.
	apt_do purge $(kernel_pkgs "$nabi")
	apt_do install $(kernel_pkgs "$oabi")
	check "$old: only $oabi is installed" \
		"installed linux-headers-$oabi && ! installed linux-headers-$nabi && ! installed linux-image-$nabi"

	# 2. Our package: the first time as the README's quick start has it, the
	# installer of the unpacked release tarball; then with apt.
	if [ "$order" = "${orders[0]}" ]; then
		"$rel/tools/install.sh" --kernel "$oabi" >"$OUT/install.log" 2>&1
		check "$old: tools/install.sh --kernel $oabi (release tarball) installs both packages" \
			"installed $PKG && installed vfio-iova"
	else
		apt_do install "$deb" "$tool"
		check "$old: apt install ./$(basename "$deb") ./$(basename "$tool")" \
			"installed $PKG && installed vfio-iova"
	fi
	check "$old: vfio-iova runs from the package, which carries its man page" \
		"/usr/bin/vfio-iova --version | grep -q '^vfio-iova ' && dpkg-deb -c '$tool' | grep -q 'usr/share/man/man1/vfio-iova.1.gz'"
	check "$old: the package's metrics timer and service are installed, not enabled" \
		"[ -f /lib/systemd/system/vfio-iova-metrics.timer ] && [ -f /lib/systemd/system/vfio-iova-metrics.service ] &&
		 [ ! -e /etc/systemd/system/timers.target.wants/vfio-iova-metrics.timer ]"
	check "$old: DKMS built and installed the module for $oabi" \
		"dkms status -m vfio-iommu-iova -k $oabi 2>/dev/null | grep -q ': installed' && [ -n \"\$(ours_for $oabi)\" ]"
	f=$(ours_for "$oabi")
	check "$old: the module carries its verified layout" \
		"modinfo -F layout '$f' | grep -q '(btf, $oabi)'"
	check "$old: DKMS signed it (Secure Boot: MOK /var/lib/dkms/mok.pub)" \
		"modinfo -F signer '$f' | grep -q 'DKMS module signing key'"
	check "$old: the modprobe.d rule is installed" "[ -f /lib/modprobe.d/vfio-iommu-iova.conf ]"
	check "$old: modprobe resolves vfio_iommu_type1 to ours" \
		"modprobe -S $oabi --show-depends vfio_iommu_type1 | grep -q 'ignore-install vfio_iommu_iova'"

	# 3. The kernel upgrade.
	check "$new: no module for $nabi before its kernel is installed" "[ -z \"\$(ours_for $nabi)\" ]"
	apt_do install $(kernel_pkgs "$nabi")
	check "$new: installing $nabi made DKMS build the module for it" \
		"dkms status -m vfio-iommu-iova -k $nabi 2>/dev/null | grep -q ': installed' && [ -n \"\$(ours_for $nabi)\" ]"
	f=$(ours_for "$nabi")
	case $f in
	*.xz) check "$new: its xz compression is one the kernel can read (CRC32, like kbuild's)" \
		"xz -lv '$f' | grep -q 'Check: *CRC32'" ;;
	esac

	# 4. A VM host running the new kernel.
	guest "dkms-$new-installed" "$nabi" "$new" "$layout" installed

	# 5. Removal.
	apt_do remove $PKG vfio-iova
	check "$new: apt remove $PKG vfio-iova" "! installed $PKG && ! installed vfio-iova && [ ! -e /usr/bin/vfio-iova ]"
	check "$new: no module left for any kernel" \
		"[ -z \"\$(find /lib/modules -name 'vfio_iommu_iova.ko*')\" ]"
	check "$new: no modprobe.d rule, DKMS tree or source left" \
		"[ ! -e /lib/modprobe.d/vfio-iommu-iova.conf ] && [ ! -e /var/lib/dkms/vfio-iommu-iova ] && [ -z \"\$(ls -d /usr/src/vfio-iommu-iova-* 2>/dev/null)\" ]"
	check "$new: dpkg keeps nothing of it (no config-files state)" \
		"! dpkg-query -W -f='\${Status}' $PKG 2>/dev/null | grep -q config-files"
	guest "dkms-$new-removed" "$nabi" "$new" "$layout" removed
done
# 6. A line built in a root of its own (tests/kernels.conf: Debian
#    unstable's 7.x), where its users live: a copy of that build root
#    without kernel headers, with the previous release's suite (Debian 13,
#    whose kernel line is 6.12) added.  Its 6.12 kernel and our package
#    first (DKMS builds for 6.12), then the upgrade of the kernel
#    meta-packages to unstable's: DKMS must build for 7.x by itself.  Then
#    the 7.x kernel boots with that root as its root filesystem and its own
#    QEMU (unstable's) must be served by our module.
PREV_SUITE=trixie
unstable_step() {
	local line=$1 suite r oabi nabi
	suite=$(kernel_suite "$line") || return 1
	root_ensure "$suite" || return 1
	r=$(root_dir "$suite-dkms")
	rm -rf "$r"
	cp -a "$(root_dir "$suite")" "$r" || return 1
	echo "deb $(sed -n 's/^deb \([^ ]*\) .*/\1/p' "$r/etc/apt/sources.list" | head -n1) $PREV_SUITE main" \
		>"$r/etc/apt/sources.list.d/$PREV_SUITE.list"
	mkdir -p "$r/tmp/debs" && cp "$deb" "$tool" "$r/tmp/debs/" || return 1
	in_root() { echo "+ ($suite root) $*" >>"$log"; root_run "$suite-dkms" "$@" >>"$log" 2>&1; }
	in_root sh -c "apt-get purge -y -q 'linux-headers-*' 'linux-kbuild-*' && apt-get update -q"
	# The arm64 headers the matrix unpacked there belong to no package.
	in_root sh -c 'for d in /usr/src/*; do dpkg -S "$d" >/dev/null 2>&1 || rm -rf "$d"; done'
	check "$line: a $suite root without kernel headers, with $PREV_SUITE added" \
		"[ -z \"\$(ls $r/usr/src)\" ] && ls $r/var/lib/apt/lists | grep -q '_${PREV_SUITE}_main_binary-amd64_Packages'"
	in_root apt-get install -y -q --no-install-recommends -t "$PREV_SUITE" linux-image-amd64 linux-headers-amd64
	oabi=$(ls "$r/lib/modules" | head -n1)
	in_root apt-get install -y -q --no-install-recommends dkms "/tmp/debs/$(basename "$deb")" \
		"/tmp/debs/$(basename "$tool")"
	check "$line: $PREV_SUITE's kernel ($oabi), then our packages: DKMS built the module for it" \
		"[ -n \"\$(find $r/lib/modules/$oabi/updates -name 'vfio_iommu_iova.ko*')\" ]"
	in_root apt-get install -y -q --no-install-recommends -t "$suite" linux-image-amd64 linux-headers-amd64
	nabi=$(kernel_abi "$line") || return 1
	check "$line: the upgrade to $suite's kernel ($nabi) made DKMS build the module for it" \
		"[ -n \"\$(find $r/lib/modules/$nabi/updates -name 'vfio_iommu_iova.ko*')\" ]"
	in_root apt-get install -y -q --no-install-recommends qemu-system-x86
	guest "dkms-$line-installed" "$nabi" "$line" amd installed "$r"
	[ -n "${KEEP:-}" ] || rm -rf "$r"
}
# The upgrade into unstable's line (Debian 13's own line, trixie, is where
# that upgrade starts), in make check-all.
for line in $(kernel_lines amd64); do
	if [ -n "${VFIO_IOVA_ALL:-}" ] && [ "$(kernel_suite "$line")" = sid ]; then
		unstable_step "$line"
	fi
done

# 7. Another architecture's line (arm64), where its users build it: in a
#    root of that architecture (a copy of a debootstrap of this machine's
#    release, its programs run under qemu-user), the line's kernel and
#    headers, then our package: DKMS must build the module for it there,
#    and that kernel, booted with the root as its root filesystem, must
#    load it through the modprobe.d rule and serve the root's QEMU with
#    it.  In make check-all (emulated compilers are slow).
foreign_step() {
	local line=$1 arch abi name r
	arch=$(kernel_arch "$line") && abi=$(kernel_abi "$line") || return 1
	(dpkg_root_ensure "$arch") || return 1
	name=$HOST_SUITE-$arch-dkms
	r=$(root_dir "$name")
	rm -rf "$r"
	cp -a "$(root_dir "$HOST_SUITE-$arch")" "$r" || return 1
	# A stable release's kernels move in its security suite.
	local sec
	sec=$(apt_mirror security)
	[ -z "$sec" ] || echo "deb $sec $HOST_SUITE-security main" \
		>"$r/etc/apt/sources.list.d/security.list"
	mkdir -p "$r/tmp/debs" && cp "$deb" "$r/tmp/debs/" || return 1
	in_root() { echo "+ ($name) $*" >>"$log"; root_run "$name" "$@" >>"$log" 2>&1; }
	in_root apt-get update -q
	# The kernel boots with an initramfs of the test's own: no
	# mkinitramfs, minutes under emulation.
	in_root sh -c 'dpkg-divert --local --rename --divert /usr/sbin/update-initramfs.real \
		--add /usr/sbin/update-initramfs && ln -sf /bin/true /usr/sbin/update-initramfs'
	in_root apt-get install -y -q --no-install-recommends "linux-image-$abi" "linux-headers-$abi" \
		"$(qemu_package "$arch")"
	check "$line: an $arch root with $abi and its headers" \
		"[ -e $r/boot/vmlinuz-$abi ] && [ -e $r/usr/src/linux-headers-$abi/Makefile ]"
	in_root apt-get install -y -q --no-install-recommends dkms openssl "/tmp/debs/$(basename "$deb")"
	local f
	f=$(find "$r/lib/modules/$abi/updates" -name 'vfio_iommu_iova.ko*' 2>/dev/null | head -n1)
	check "$line: DKMS built the module for $abi in the $arch root" "[ -n '$f' ]"
	check "$line: the module carries its verified layout" \
		"modinfo -F layout '$f' | grep -q '(btf, $abi)'"
	check "$line: the modprobe.d rule is installed" "[ -f $r/lib/modprobe.d/vfio-iommu-iova.conf ]"
	guest "dkms-$line-installed" "$abi" "$line" smmuv3 installed "$r"
	[ -n "${KEEP:-}" ] || rm -rf "$r"
}
if [ -n "${VFIO_IOVA_ALL:-}" ]; then
	for arch in $(kernel_archs); do
		[ "$arch" = "$HOST_ARCH" ] || foreign_step "$(kernel_lines "$arch" | head -n1)" ||
			check "the $arch step could set up its root (log: $log)" false
	done
fi

echo "1..$check_n"
echo "$((check_n - check_failed)) passed, $check_failed failed"
[ "$check_failed" -eq 0 ]
