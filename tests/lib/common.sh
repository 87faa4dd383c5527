# shellcheck shell=bash
# Shared helpers for the host-side test scripts.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${VFIO_IOVA_CACHE:-/var/cache/vfio-iommu-iova}
KERNELS_CONF=$TOP/tests/kernels.conf

die() { echo "error: $*" >&2; exit 1; }

# This machine's Debian architecture: other architectures' lines are
# cross-built here and their guests get programs built for them.
HOST_ARCH=$(dpkg --print-architecture)
# Its Debian release: the other architectures' client roots are of it.
HOST_SUITE=$(. /etc/os-release && echo "$VERSION_CODENAME")

# kernel_lines [ARCH]: print the supported lines (of ARCH), one per line.
kernel_lines() { awk -v a="${1:-}" '!/^#/ && NF && (a == "" || $3 == a) { print $1 }' "$KERNELS_CONF"; }

# kernel_field LINE N: field N of tests/kernels.conf (2 = stock line,
# 3 = arch, 4 = image pkg, 5 = headers pkg, 6 = accel, 7 = build root: "-"
# for this machine, else a Debian suite, see root_run).
kernel_field() {
	awk -v l="$1" -v n="$2" '!/^#/ && $1 == l { print $n; f = 1 } END { exit !f }' \
		"$KERNELS_CONF" || die "unknown kernel line '$1' (see tests/kernels.conf)"
}

# kernel_archs: the architectures of the supported lines.
kernel_archs() { awk '!/^#/ && NF { print $3 }' "$KERNELS_CONF" | sort -u; }

# kernel_arch LINE, kernel_suite LINE: the line's architecture and root.
kernel_arch() { kernel_field "$1" 3; }
kernel_suite() { kernel_field "$1" 7; }

# cross_compile ARCH: the CROSS_COMPILE prefix for ARCH on this machine
# (empty for its own).
cross_compile() {
	[ "$1" = "$HOST_ARCH" ] && return 0
	case $1 in
	arm64) echo aarch64-linux-gnu- ;;
	*) die "no cross compiler known for $1" ;;
	esac
}

# Build roots.  A kernel line whose headers do not install on this machine
# (Debian unstable's: a newer gcc and libc) is built where its users build
# it, in a root of its own Debian suite, made with debootstrap from this
# machine's mirror and kept in the cache.  Its apt also resolves and
# downloads that line's packages, so this machine's apt state never sees
# another suite.

# The root whose QEMU is the guests' newer client (qemu-new-client): one
# that reads VFIO's IOVA-range capability (8.2 and later; Debian 12 has 7.2).
NEWQEMU_SUITE=sid

# newqemu_ensure: that root, with qemu-system-x86 installed in it.
newqemu_ensure() {
	root_ensure "$NEWQEMU_SUITE" || return 1
	[ -x "$(root_dir "$NEWQEMU_SUITE")/usr/bin/qemu-system-x86_64" ] ||
		root_run "$NEWQEMU_SUITE" apt-get install -y -q --no-install-recommends qemu-system-x86 \
			>"$(root_dir "$NEWQEMU_SUITE").qemu.log" 2>&1
}

# The guests' real clients (QEMU, DPDK) run from a root filesystem of the
# guest's architecture, shared over 9p: this machine's own, or for another
# architecture the packages of this machine's Debian release, with their
# dependencies, unpacked into a directory of the cache (mmdebstrap's
# extract variant: nothing of that architecture runs to make it, so it
# takes a minute, where a debootstrap with emulated maintainer scripts
# takes a quarter of an hour).  Their programs need no configuration.
# libjansson-dev: the static jansson the guests' vfio-iova links.
CLIENT_PACKAGES="qemu-system-arm qemu-system-x86 dpdk-dev librte-net-e1000-23 libjansson-dev"

# apt_mirror [security]: the Debian mirror this machine's apt uses (or its
# security mirror, none if it has none), for the roots made here.
apt_mirror() {
	local m
	m=$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' 2>/dev/null |
		if [ "${1:-}" = security ]; then grep security; else grep -v security; fi | head -n1)
	[ -n "$m" ] || [ "${1:-}" = security ] || m=http://deb.debian.org/debian/
	echo "$m"
}

# qemu_arch ARCH: the name QEMU gives Debian's architecture ARCH
# (qemu-system-NAME, qemu-NAME for qemu-user); qemu_package ARCH: the
# Debian package of its qemu-system-NAME.
qemu_arch() {
	case $1 in
	amd64) echo x86_64 ;;
	arm64) echo aarch64 ;;
	*) die "no QEMU name known for $1" ;;
	esac
}
qemu_package() {
	case $1 in
	amd64) echo qemu-system-x86 ;;
	arm64) echo qemu-system-arm ;;
	*) die "no QEMU package known for $1" ;;
	esac
}

# client_root ARCH: where the clients of ARCH's guests come from.
client_root() {
	if [ "$1" = "$HOST_ARCH" ]; then echo /; else echo "$CACHE/roots/$HOST_SUITE-$1-clients"; fi
}

# client_root_ensure ARCH: make ARCH's client root, if it is not this
# machine's and is missing or was made for other packages.
client_root_ensure() {
	local arch=$1 dir
	dir=$(client_root "$arch")
	[ "$dir" != / ] || return 0
	[ "$(cat "$dir/.done" 2>/dev/null)" != "$CLIENT_PACKAGES" ] || return 0
	command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (tests/install-deps.sh)"
	echo "unpacking the $arch clients' root in $dir" >&2
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	# coreutils: the guest runs the clients through chroot and stdbuf.
	# shellcheck disable=SC2086
	mmdebstrap --variant=extract --architectures="$arch" \
		--include="coreutils,$(echo $CLIENT_PACKAGES | tr ' ' ,)" \
		"$HOST_SUITE" "$dir" "$(apt_mirror)" >"$dir.log" 2>&1 ||
		{ tail -n 20 "$dir.log" >&2; die "cannot unpack the $arch clients' root (log: $dir.log)"; }
	# The mount points the guest's clients use (it gets the root read-only).
	# (base-files' maintainer script would have made /var/run.)
	mkdir -p "$dir/proc" "$dir/sys" "$dir/run" "$dir/dev" "$dir/tmp" &&
		ln -sfn /run "$dir/var/run" || return 1
	echo "$CLIENT_PACKAGES" >"$dir/.done"
}

# binfmt_enable ARCH: let this machine run ARCH's programs (qemu-user).
binfmt_enable() {
	local q
	q=qemu-$(qemu_arch "$1")
	[ -e /proc/sys/fs/binfmt_misc/status ] ||
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || return 1
	[ -e "/proc/sys/fs/binfmt_misc/$q" ] || update-binfmts --enable "$q" || return 1
	grep -qx enabled "/proc/sys/fs/binfmt_misc/$q"
}

# dpkg_root_ensure ARCH: a Debian root of this machine's release for
# ARCH, with dpkg and apt working in it (debootstrap; its maintainer
# scripts run under qemu-user through binfmt_misc, a quarter of an hour),
# for the test of our package on that architecture (tests/dkms/run.sh).
# root_run knows it by its base name.
dpkg_root_ensure() {
	local arch=$1 dir
	dir=$(root_dir "$HOST_SUITE-$arch")
	[ ! -e "$dir/.done" ] || return 0
	binfmt_enable "$arch" || die "cannot run $arch programs here (binfmt_misc, qemu-user-static)"
	echo "creating the $arch root in $dir" >&2
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	debootstrap --arch "$arch" --variant=minbase "$HOST_SUITE" "$dir" "$(apt_mirror)" >"$dir.log" 2>&1 ||
		{ tail -n 20 "$dir.log" >&2; die "debootstrap of the $arch root failed (log: $dir.log)"; }
	touch "$dir/.done"
}

# root_dir SUITE: where the build root of SUITE lives.
root_dir() { echo "$CACHE/roots/$1"; }

# root_ensure SUITE: create the build root if it is missing, and update its
# package lists once a day.
root_ensure() {
	local suite=$1 dir mirror
	dir=$(root_dir "$suite")
	if [ ! -e "$dir/.done" ]; then
		command -v debootstrap >/dev/null || die "debootstrap is not installed (tests/install-deps.sh)"
		mirror=$(apt_mirror)
		echo "creating the $suite build root in $dir from $mirror" >&2
		rm -rf "$dir"
		mkdir -p "$(dirname "$dir")"
		debootstrap --variant=minbase --include=make,sparse,xz-utils,zstd,kmod,ca-certificates \
			"$suite" "$dir" "$mirror" >"$dir.log" 2>&1 ||
			{ tail -n 20 "$dir.log" >&2; die "debootstrap $suite failed (log: $dir.log)"; }
		# A mirror snapshot may be older than its Release file's Valid-Until.
		echo 'Acquire::Check-Valid-Until "false";' >"$dir/etc/apt/apt.conf.d/99vfio-iova"
		# A stable release's kernels move in its security suite.
		local sec
		sec=$(apt_mirror security)
		case $suite in
		sid | unstable) ;;
		*) [ -z "$sec" ] || echo "deb $sec $suite-security main" >>"$dir/etc/apt/sources.list" ;;
		esac
		touch "$dir/.done"
	fi
	# Its arm64 kernels (headers unpacked, never installed) come from its apt.
	if ! grep -qx arm64 "$dir/var/lib/dpkg/arch" 2>/dev/null; then
		root_run "$suite" dpkg --add-architecture arm64 || die "cannot add arm64 to the $suite root"
		rm -f "$dir/.updated"
	fi
	if [ -z "$(find "$dir/.updated" -mmin -1440 2>/dev/null)" ]; then
		root_run "$suite" apt-get update -q >"$dir.update.log" 2>&1 ||
			{ tail -n 20 "$dir.update.log" >&2; die "apt-get update in the $suite root failed"; }
		touch "$dir/.updated"
	fi
}

# root_run SUITE CMD...: run CMD in the build root of SUITE, in a mount
# namespace of its own with /proc, /dev, this checkout and the cache's
# extracted kernels at the same paths as outside.
root_run() {
	local dir
	dir=$(root_dir "$1")
	shift
	mkdir -p "$dir$TOP" "$dir$CACHE/kernels" || return 1
	unshare -m --propagation private sh -c '
		r=$1 top=$2 kernels=$3; shift 3
		mount -t proc proc "$r/proc" && mount --bind /dev "$r/dev" &&
			mount --bind "$top" "$r$top" && mount --bind "$kernels" "$r$kernels" &&
			exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LC_ALL=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive "$@"' \
		sh "$dir" "$TOP" "$CACHE/kernels" "$@"
}

# line_apt LINE CMD...: CMD (apt-cache, apt-get) with the apt of LINE's
# build root, or this machine's.
line_apt() {
	local suite
	suite=$(kernel_suite "$1") || exit 1
	shift
	if [ "$suite" = - ]; then
		"$@"
	else
		root_ensure "$suite" && root_run "$suite" "$@"
	fi
}

# kernel_abi LINE: the ABI the line's meta-package points at right now;
# within a run (VFIO_IOVA_ABI_CACHE, a directory the run's script sets),
# the ABI it pointed at first.  The package lists can change during a run
# (a background apt-get update while Debian publishes a kernel), and the
# guests must boot the kernel the run built for.
kernel_abi() {
	local pkg abi cache=${VFIO_IOVA_ABI_CACHE:-}
	if [ -n "$cache" ] && [ -s "$cache/$1" ]; then
		cat "$cache/$1"
		return
	fi
	pkg=$(kernel_field "$1" 4):$(kernel_arch "$1") || exit 1
	abi=$(line_apt "$1" apt-cache depends "$pkg" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([^:]*\).*$/\1/p' | grep -v unsigned | head -n1)
	[ -n "$abi" ] || die "cannot resolve the ABI of $pkg (run apt-get update?)"
	[ -z "$cache" ] || { mkdir -p "$cache" && echo "$abi" >"$cache/$1"; } ||
		die "cannot write $cache/$1"
	echo "$abi"
}

# abi_line ABI: the kernel line whose meta-package points at ABI now.
abi_line() {
	local line
	for line in $(kernel_lines); do
		[ "$(kernel_abi "$line")" != "$1" ] || { echo "$line"; return 0; }
	done
	die "kernel $1 belongs to no line of tests/kernels.conf"
}

# kernel_root ABI: download and extract linux-image-ABI into the cache
# (never installed on this machine); print the extraction root.
kernel_root() {
	local abi=$1 dir=$CACHE/kernels/$1
	# A kernel of our own (make check-debug) is where GUEST_ROOT says.
	if [ -n "${GUEST_ROOT:-}" ] && [ "$abi" = "${GUEST_ABI:-}" ]; then
		echo "$GUEST_ROOT"
		return
	fi
	if [ ! -e "$dir/.done" ]; then
		local line pkgs deb arch
		line=$(abi_line "$abi") || exit 1
		arch=$(kernel_arch "$line") || exit 1
		rm -rf "$dir"
		mkdir -p "$dir/deb" || die "cannot create $dir"
		# Newer images are split into parts (linux-binary-ABI, linux-modules-ABI...).
		pkgs="linux-image-$abi:$arch $(line_apt "$line" apt-cache depends "linux-image-$abi:$arch" |
			grep -o "linux-[a-z]*-$abi\(:$arch\)\?\$" | sed "s/:$arch\$//; s/\$/:$arch/" |
			sort -u | tr '\n' ' ')"
		# shellcheck disable=SC2086
		line_apt "$line" sh -c 'cd "$1" && shift && apt-get download -q "$@"' sh "$dir/deb" $pkgs >&2 ||
			die "apt-get download $pkgs failed"
		for deb in "$dir"/deb/*.deb; do
			dpkg-deb -x "$deb" "$dir/root" || die "cannot extract $deb"
		done
		# One layout for every line: /boot/vmlinuz-ABI and /lib/modules.
		if [ ! -e "$dir/root/lib/modules" ] && [ -d "$dir/root/usr/lib/modules" ]; then
			mkdir -p "$dir/root/lib" "$dir/root/boot"
			ln -s ../usr/lib/modules "$dir/root/lib/modules"
			for f in vmlinuz config System.map; do
				[ ! -e "$dir/root/usr/lib/modules/$abi/$f" ] ||
					ln -s "../usr/lib/modules/$abi/$f" "$dir/root/boot/$f-$abi"
			done
		fi
		[ -e "$dir/root/boot/vmlinuz-$abi" ] || die "no vmlinuz in $pkgs"
		rm -rf "$dir/deb"
		touch "$dir/.done"
	fi
	echo "$dir/root"
}

# kernel_prepare ABI: kernel_root plus a modules.dep for it; print the root.
kernel_prepare() {
	local root
	root=$(kernel_root "$1") || exit 1
	if [ ! -e "$root/lib/modules/$1/modules.dep" ]; then
		depmod -b "$root" "$1" || die "depmod for $1 failed"
	fi
	echo "$root"
}

# module_paths ROOT ABI MODULE...: the files to insmod, dependencies first.
# This machine's modprobe.d (our own package's install rule, for one) must
# not change what the guest loads: no configuration (-C /dev/null).
module_paths() {
	local root=$1 abi=$2 m
	shift 2
	for m in "$@"; do
		modprobe -C /dev/null -d "$root" -S "$abi" --show-depends "$m" ||
			die "cannot resolve module $m of $abi"
	done | awk '$1 == "insmod" { print $2 }'
}

# kbuild_checker SCRIPTS: Debian's linux-kbuild lacks
# scripts/checker-valid.sh, without which the kernel's Makefile turns C=2
# into a warning and runs no sparse: put one into SCRIPTS (a path on this
# machine).
kbuild_checker() {
	[ -e "$1/checker-valid.sh" ] || install -m 755 /dev/stdin "$1/checker-valid.sh" <<'EOS'
#!/bin/sh
# Put here by vfio-iommu-iova's test harness (tests/lib/common.sh): Debian's
# linux-kbuild package does not ship it.  Prints 1 if the checker "$@"
# parses what these headers use, else 0.
command -v "$1" >/dev/null 2>&1 || { echo 0; exit 0; }
t=$(mktemp --suffix=.c) || { echo 0; exit 0; }
echo 'int f(const int *p) { __typeof_unqual__(*p) x = *p; return x; }' >"$t"
if "$@" "$t" 2>&1 | grep -q error; then echo 0; else echo 1; fi
rm -f "$t"
EOS
}

# root_kbuild_checker ROOT KDIR: kbuild_checker for the headers KDIR of the
# build root ROOT, whose scripts link (../../lib/linux-kbuild-X/scripts)
# is relative to the root's /usr/src.
root_kbuild_checker() {
	kbuild_checker "$1$(readlink "$1$2/scripts" | sed 's|^\.\./\.\.|/usr|')"
}

# line_headers LINE ABI: the headers of kernel ABI where LINE's build finds
# them; prints their directory (KDIR) as that build sees it (inside the
# build root, for a line that has one).  The headers of this machine's
# architecture are installed (here by tests/install-deps.sh, in a root by
# apt).  Another architecture's headers package cannot be installed (its
# kbuild dependency would be of that architecture): it is unpacked, here
# under the cache or in the root at its own path, next to this machine's
# linux-kbuild and -common headers, and its cross compiler installed.
line_headers() {
	local line=$1 abi=$2 suite arch dir kdir=/usr/src/linux-headers-$2 deps log gcc
	suite=$(kernel_suite "$line") && arch=$(kernel_arch "$line") || return 1
	if [ "$arch" = "$HOST_ARCH" ]; then
		if [ "$suite" != - ]; then
			dir=$(root_dir "$suite")
			root_ensure "$suite" || return 1
			[ -e "$dir/lib/modules/$abi/build/Makefile" ] ||
				root_run "$suite" apt-get install -y -q --no-install-recommends "linux-headers-$abi" \
					>"$dir.headers.log" 2>&1 ||
				{ tail -n 20 "$dir.headers.log" >&2; echo "cannot install linux-headers-$abi in the $suite root" >&2; return 1; }
			root_kbuild_checker "$dir" "$kdir" || return 1
		fi
		echo "/lib/modules/$abi/build"
		return 0
	fi
	if [ "$suite" = - ]; then
		dir=$CACHE/headers/$abi
	else
		dir=$(root_dir "$suite")
		root_ensure "$suite" || return 1
	fi
	log=$dir.headers-$abi.log
	if [ ! -e "$dir$kdir/.vfio-iova-done" ]; then
		mkdir -p "$dir" "$CACHE/headers" || return 1
		# Its kbuild and -common headers, of this machine's architecture.
		deps=$(line_apt "$line" apt-cache depends "linux-headers-$abi:$arch" |
			sed -n 's/^ *Depends: \(linux-\(headers-[^ :]*-common\|kbuild-[^ :]*\)\).*/\1/p')
		[ -n "$deps" ] || { echo "no kbuild dependency of linux-headers-$abi:$arch" >&2; return 1; }
		# (under kernels/, which a build root sees at the same path)
		local deb=$CACHE/kernels/.headers-$abi
		rm -rf "$deb" && mkdir -p "$deb" || return 1
		# shellcheck disable=SC2086
		line_apt "$line" apt-get install -y -q --no-install-recommends $deps >"$log" 2>&1 &&
			line_apt "$line" sh -c 'cd "$1" && apt-get download -q "$2"' sh "$deb" \
				"linux-headers-$abi:$arch" >>"$log" 2>&1 &&
			dpkg-deb -x "$deb"/*.deb "$dir" ||
			{ tail -n 20 "$log" >&2; echo "cannot unpack linux-headers-$abi:$arch" >&2; return 1; }
		rm -rf "$deb"
		# Here, its scripts link (../../lib/linux-kbuild-X) must find ours.
		if [ "$suite" = - ]; then
			local kb
			kb=$(readlink "$dir$kdir/scripts" | sed -n 's|^\.\./\.\./lib/\([^/]*\)/scripts$|\1|p')
			[ -n "$kb" ] && mkdir -p "$dir/usr/lib" && ln -sfn "/usr/lib/$kb" "$dir/usr/lib/$kb" ||
				{ echo "unexpected scripts link in linux-headers-$abi" >&2; return 1; }
		fi
		# Its compiler: the cross gcc of the version the kernel was built with.
		gcc=$(sed -n 's/^CC = .*)gcc-\([0-9]*\)$/\1/p' "$dir$kdir/.kernelvariables")
		[ -n "$gcc" ] || { echo "no compiler version in $dir$kdir/.kernelvariables" >&2; return 1; }
		line_apt "$line" apt-get install -y -q --no-install-recommends \
			"gcc-$gcc-$(cross_compile "$arch" | sed 's/-$//')" >>"$log" 2>&1 ||
			{ tail -n 20 "$log" >&2; echo "cannot install the gcc-$gcc cross compiler for $arch" >&2; return 1; }
		touch "$dir$kdir/.vfio-iova-done"
	fi
	if [ "$suite" = - ]; then
		kbuild_checker "$(readlink -f "$dir$kdir/scripts")" || return 1
		echo "$dir$kdir"
	else
		root_kbuild_checker "$dir" "$kdir" || return 1
		echo "$kdir"
	fi
}

# line_make_vars LINE ABI: the make variables that build LINE's modules
# (KDIR, and ARCH and CROSS_COMPILE for another architecture), a line each.
line_make_vars() {
	local arch kdir
	arch=$(kernel_arch "$1") && kdir=$(line_headers "$1" "$2") || return 1
	echo "KDIR=$kdir"
	[ "$arch" = "$HOST_ARCH" ] ||
		printf 'ARCH=%s\nCROSS_COMPILE=%s\n' "$arch" "$(cross_compile "$arch")"
}

# build_module WHAT ABI ROOT OUT [MAKE_VAR...]: build our module (and the
# test mdev) for kernel ABI, whose image is extracted at ROOT, in OUT, W=1
# C=2; any warning fails.  With BUILD_SUITE set (a kernel line's build
# root), the build runs in that root, as its users would run it.  One TAP
# line, numbered with the caller's n; failures counted in its failed.
build_module() {
	local what=$1 abi=$2 root=$3 out=$4 log=$4.log run=
	shift 4
	rm -rf "$out"	# whatever happens next, no older module stays here
	[ "${BUILD_SUITE:--}" = - ] || run="root_run $BUILD_SUITE"
	n=$((n + 1))
	rm -rf "$out"
	mkdir -p "$out/tests"
	cp -r "$TOP/Kbuild" "$TOP/Makefile" "$TOP/dkms.conf" "$TOP/src" "$TOP/include" "$out/"
	cp -r "$TOP/tests/mdev" "$out/tests/"
	rm -rf "$out/include/generated"
	if ! $run make -j"$(nproc)" -C "$out" KVER="$abi" KROOT="$root" W=1 C=2 VFIO_IOVA_TESTS=1 "$@" >"$log" 2>&1; then
		echo "not ok $n - build $what"
		sed 's/^/#   /' "$log" | tail -n 30
		failed=$((failed + 1))
	elif grep -E -i 'warning|error:' "$log" | grep -v -q '^Skipping BTF'; then
		echo "not ok $n - build $what: warnings"
		grep -E -i 'warning|error:' "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	else
		echo "ok $n - build $what, W=1 C=2, no warnings"
	fi
}

# For host tests: check DESCRIPTION EXPR prints one TAP line for EXPR.
check_n=0
check_failed=0
check() {
	check_n=$((check_n + 1))
	if eval "$2"; then
		echo "ok $check_n - $1"
	else
		echo "not ok $check_n - $1"
		check_failed=$((check_failed + 1))
	fi
}

# first_line_root: the ABI and extracted root of the first kernel line, into
# the variables abi and root.
first_line_root() {
	abi=$(kernel_abi "$(kernel_lines | head -n1)") || exit 1
	root=$(kernel_root "$abi") || exit 1
}
