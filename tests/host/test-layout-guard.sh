# SPDX-License-Identifier: GPL-2.0
# The private-interface guard: a kernel whose struct vfio_iommu_driver_ops
# is not verified must refuse to build, with a message naming the kernel and
# what to do; a struct copy that disagrees with the kernel's BTF must not
# compile.  Uses the real image of the first kernel line from the cache.
. "$(dirname "$0")/../lib/common.sh"

first_line_root
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cp -r "$TOP/Kbuild" "$TOP/Makefile" "$TOP/src" "$TOP/include" "$w/"
rm -rf "$w/include/generated"

check "verified kernel: header written" \
	"$w/src/scripts/verify-layout.sh $abi $w/ok.h $root >/dev/null 2>&1 && grep -q VFIO_IOVA_OPS_OFFSETS $w/ok.h"

mkdir -p "$w/empty"
"$w/src/scripts/verify-layout.sh" 5.99.0-fake-amd64 "$w/x.h" "$w/empty" >"$w/msg" 2>&1
rc=$?
check "no BTF available: refused" "[ $rc -ne 0 ] && [ ! -e $w/x.h ]"
check "refusal names the kernel" "grep -q 'refusing to build for kernel 5.99.0-fake-amd64' $w/msg"
check "refusal says what to do" "grep -q 'install linux-image-5.99.0-fake-amd64' $w/msg"

# dkms.conf's check: the same verdicts, one line, nothing written.
check "--check: verified kernel accepted silently" \
	"[ -z \"\$($w/src/scripts/verify-layout.sh --check $abi $root 2>&1)\" ]"
# pahole counts cachelines with this machine's line size (a 128-byte
# arm64, or qemu-user, reports other counts): a verified kernel stays
# verified wherever DKMS runs.
mkdir -p "$w/pahole32" && printf '#!/bin/sh\nexec %s --cacheline_size=32 "$@"\n' "$(command -v pahole)" \
	>"$w/pahole32/pahole" && chmod +x "$w/pahole32/pahole"
check "--check: verified whatever this machine's cacheline size" \
	"[ -z \"\$(PATH=$w/pahole32:\$PATH $w/src/scripts/verify-layout.sh --check $abi $root 2>&1)\" ]"
"$w/src/scripts/verify-layout.sh" --check 5.99.0-fake-amd64 "$w/empty" >"$w/msg" 2>&1
rc=$?
check "--check: no BTF: refused in one line naming the image" \
	"[ $rc -ne 0 ] && [ \$(wc -l <$w/msg) = 1 ] && grep -q 'no readable kernel image .*vmlinuz-5.99.0-fake-amd64' $w/msg"
check "dkms.conf and debian/changelog carry the same version" \
	"[ \"\$(sed -n 's/^PACKAGE_VERSION=\"\\(.*\\)\"/\\1/p' $TOP/dkms.conf)\" = \"\$(sed -n '1s/.*(\\(.*\\)).*/\\1/p' $TOP/debian/changelog)\" ]"

# A kernel whose layout matches no fingerprint (simulated by moving one
# member in every fingerprint) is refused and its layout is shown.
sed -i 's|(\*release)(void \*); /\* 24 8 \*/|(*release)(void *); /* 24 4 */|' "$w"/include/compat/layouts/*.layout
"$w/src/scripts/verify-layout.sh" "$abi" "$w/y.h" "$root" >"$w/msg" 2>&1
rc=$?
check "unverified layout: refused" "[ $rc -ne 0 ] && [ ! -e $w/y.h ]"
check "unverified layout: message names kernel" "grep -q \"refusing to build for kernel $abi\" $w/msg"
check "unverified layout: kernel's layout written" "grep -q 'struct vfio_iommu_driver_ops' $w/y.h.unverified"

# Kbuild refuses to build without the verified header.
kdir=/lib/modules/$abi/build
make -C "$kdir" M="$w" modules >"$w/msg" 2>&1
rc=$?
check "Kbuild without verification: refused" "[ $rc -ne 0 ] && grep -q 'verifies the kernel.s private VFIO layout' $w/msg"

# Our struct copy is tied to the BTF offsets: a wrong offset must not build.
mkdir -p "$w/include/generated"
"$w/src/scripts/probe.sh" "$kdir" "$w/include/generated/vfio_iova_probes.h" || exit 1
sed 's/X(ioctl, 32)/X(ioctl, 40)/' "$w/ok.h" >"$w/include/generated/vfio_iova_layout.h"
make -C "$kdir" M="$w" modules >"$w/msg" 2>&1
rc=$?
check "struct copy disagreeing with BTF: build fails" "[ $rc -ne 0 ] && grep -q 'static assertion failed' $w/msg"
cp "$w/ok.h" "$w/include/generated/vfio_iova_layout.h"
make -C "$kdir" M="$w" modules >"$w/msg" 2>&1
rc=$?
check "struct copy agreeing with BTF: builds" "[ $rc -eq 0 ] && [ -e $w/vfio_iommu_iova.ko ]"

# On every kernel line, where its users build (tests/kernels.conf: here or
# in the line's build root): a layout marked unverified on purpose (one
# member moved in every fingerprint) stops `make` before any compiling,
# with the message that names the kernel and what to do.
for line in $(kernel_lines); do
	labi=$(kernel_abi "$line") && lroot=$(kernel_root "$labi") &&
		suite=$(kernel_suite "$line") || exit 1
	lw=$TOP/.build/layout-guard-$labi
	rm -rf "$lw"
	mkdir -p "$lw"
	cp -r "$TOP/Kbuild" "$TOP/Makefile" "$TOP/dkms.conf" "$TOP/src" "$TOP/include" "$lw/"
	rm -rf "$lw/include/generated"
	find "$lw" -name '*.o' -delete
	sed -i 's|(\*release)(void \*); /\* 24 8 \*/|(*release)(void *); /* 24 4 */|' \
		"$lw"/include/compat/layouts/*.layout
	run=
	[ "$suite" = - ] || run="root_run $suite"
	$run make -C "$lw" KVER="$labi" KROOT="$lroot" module >"$lw.msg" 2>&1
	rc=$?
	check "$line ($labi${run:+, in the $suite root}): unverified layout: make refuses, builds nothing" \
		"[ $rc -ne 0 ] && [ -z \"\$(find $lw -name '*.o')\" ]"
	check "$line: the refusal names $labi and what to do" \
		"grep -q 'refusing to build for kernel $labi' $lw.msg && grep -q 'add a fingerprint under include/compat/layouts/' $lw.msg"
	rm -rf "$lw" "$lw.msg"
done
