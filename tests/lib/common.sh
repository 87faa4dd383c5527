# shellcheck shell=bash
# Shared helpers for the host-side test scripts.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${VFIO_IOVA_CACHE:-/var/cache/vfio-iommu-iova}
KERNELS_CONF=$TOP/tests/kernels.conf

die() { echo "error: $*" >&2; exit 1; }

# kernel_lines: print the supported lines, one per line.
kernel_lines() { awk '!/^#/ && NF { print $1 }' "$KERNELS_CONF"; }

# kernel_field LINE N: field N (2 = image pkg, 3 = headers pkg, 4 = accel).
kernel_field() {
	awk -v l="$1" -v n="$2" '!/^#/ && $1 == l { print $n; f = 1 } END { exit !f }' \
		"$KERNELS_CONF" || die "unknown kernel line '$1' (see tests/kernels.conf)"
}

# kernel_abi LINE: the ABI the line's meta-package points at right now.
kernel_abi() {
	local pkg abi
	pkg=$(kernel_field "$1" 2) || exit 1
	abi=$(apt-cache depends "$pkg" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | grep -v unsigned | head -n1)
	[ -n "$abi" ] || die "cannot resolve the ABI of $pkg (run apt-get update?)"
	echo "$abi"
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
		mkdir -p "$dir/deb" || die "cannot create $dir"
		(cd "$dir/deb" && apt-get download -q "linux-image-$abi" >&2) ||
			die "apt-get download linux-image-$abi failed"
		dpkg-deb -x "$dir"/deb/linux-image-"$abi"_*.deb "$dir/root" ||
			die "cannot extract linux-image-$abi"
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

# build_module WHAT ABI ROOT OUT [MAKE_VAR...]: build our module (and the
# test mdev) for kernel ABI, whose image is extracted at ROOT, in OUT, W=1
# C=2; any warning fails.  One TAP line, numbered with the caller's n;
# failures counted in its failed.
build_module() {
	local what=$1 abi=$2 root=$3 out=$4 log=$4.log
	shift 4
	n=$((n + 1))
	rm -rf "$out"
	mkdir -p "$out/tests"
	cp -r "$TOP/Kbuild" "$TOP/Makefile" "$TOP/src" "$TOP/include" "$out/"
	cp -r "$TOP/tests/mdev" "$out/tests/"
	rm -rf "$out/include/generated"
	if ! make -C "$out" KVER="$abi" KROOT="$root" W=1 C=2 VFIO_IOVA_TESTS=1 "$@" >"$log" 2>&1; then
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
