# SPDX-License-Identifier: GPL-2.0
# The private-interface guard: a kernel whose struct vfio_iommu_driver_ops
# is not verified must refuse to build, with a message naming the kernel and
# what to do; a struct copy that disagrees with the kernel's BTF must not
# compile.  Uses the real image of the first kernel line from the cache.
. "$(dirname "$0")/../lib/common.sh"
n=0
t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi; }

line=$(kernel_lines | head -n1)
abi=$(kernel_abi "$line") || exit 1
root=$(kernel_root "$abi") || exit 1
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cp -r "$TOP/Kbuild" "$TOP/Makefile" "$TOP/src" "$TOP/include" "$w/"
rm -rf "$w/include/generated"

t "verified kernel: header written" \
	"$w/src/scripts/verify-layout.sh $abi $w/ok.h $root >/dev/null 2>&1 && grep -q VFIO_IOVA_OPS_OFFSETS $w/ok.h"

mkdir -p "$w/empty"
"$w/src/scripts/verify-layout.sh" 5.99.0-fake-amd64 "$w/x.h" "$w/empty" >"$w/msg" 2>&1
rc=$?
t "no BTF available: refused" "[ $rc -ne 0 ] && [ ! -e $w/x.h ]"
t "refusal names the kernel" "grep -q 'refusing to build for kernel 5.99.0-fake-amd64' $w/msg"
t "refusal says what to do" "grep -q 'install linux-image-5.99.0-fake-amd64' $w/msg"

# A kernel whose layout matches no fingerprint (simulated by moving one
# member in every fingerprint) is refused and its layout is shown.
sed -i 's|(\*release)(void \*); /\* 24 8 \*/|(*release)(void *); /* 24 4 */|' "$w"/include/compat/layouts/*.layout
"$w/src/scripts/verify-layout.sh" "$abi" "$w/y.h" "$root" >"$w/msg" 2>&1
rc=$?
t "unverified layout: refused" "[ $rc -ne 0 ] && [ ! -e $w/y.h ]"
t "unverified layout: message names kernel" "grep -q \"refusing to build for kernel $abi\" $w/msg"
t "unverified layout: kernel's layout written" "grep -q 'struct vfio_iommu_driver_ops' $w/y.h.unverified"

# Kbuild refuses to build without the verified header.
kdir=/lib/modules/$abi/build
make -C "$kdir" M="$w" modules >"$w/msg" 2>&1
rc=$?
t "Kbuild without verification: refused" "[ $rc -ne 0 ] && grep -q 'verifies the kernel.s private VFIO layout' $w/msg"

# Our struct copy is tied to the BTF offsets: a wrong offset must not build.
mkdir -p "$w/include/generated"
"$w/src/scripts/probe.sh" "$kdir" "$w/include/generated/vfio_iova_probes.h" || exit 1
sed 's/X(ioctl, 32)/X(ioctl, 40)/' "$w/ok.h" >"$w/include/generated/vfio_iova_layout.h"
make -C "$kdir" M="$w" modules >"$w/msg" 2>&1
rc=$?
t "struct copy disagreeing with BTF: build fails" "[ $rc -ne 0 ] && grep -q 'static assertion failed' $w/msg"
cp "$w/ok.h" "$w/include/generated/vfio_iova_layout.h"
make -C "$kdir" M="$w" modules >"$w/msg" 2>&1
rc=$?
t "struct copy agreeing with BTF: builds" "[ $rc -eq 0 ] && [ -e $w/vfio_iommu_iova.ko ]"
