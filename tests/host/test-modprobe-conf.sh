# SPDX-License-Identifier: GPL-2.0
# src/modprobe.d/vfio-iommu-iova.conf against the real kmod and the real
# vfio.ko of the first kernel line (whose softdep asks for vfio_iommu_type1):
# with it, loading vfio loads vfio_iommu_iova and never the stock backend;
# without it (the control), the stock backend is loaded.
. "$(dirname "$0")/../lib/common.sh"

first_line_root
# Our module as built, or (no kernel build in a unit test) a stand-in with
# the same dependency on vfio.ko: the stock backend's file under our name,
# which is all that depmod and modprobe look at.
ko=$TOP/.build/$abi/vfio_iommu_iova.ko
[ -e "$ko" ] || ko=$(find "$root/lib/modules/$abi/kernel/drivers/vfio" -name 'vfio_iommu_type1.ko' | head -n1)
[ -n "$ko" ] || exit 1
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
m=$w/lib/modules/$abi
mkdir -p "$m/kernel" "$m/updates/dkms"
cp -r "$root/lib/modules/$abi/kernel/drivers" "$m/kernel/"
cp "$root/lib/modules/$abi"/modules.builtin* "$m/"
cp "$ko" "$m/updates/dkms/vfio_iommu_iova.ko"
depmod -b "$w" "$abi" 2>/dev/null || exit 1
: >"$w/empty.conf"

modprobe -d "$w" -S "$abi" -C "$w/empty.conf" --show-depends vfio >"$w/without" 2>&1
check "control: without the file, vfio pulls in the stock backend" \
	"grep -q 'insmod .*/vfio_iommu_type1.ko' $w/without"
modprobe -d "$w" -S "$abi" -C "$TOP/src/modprobe.d" --show-depends vfio >"$w/with" 2>&1
check "with the file, vfio pulls in vfio_iommu_iova" \
	"grep -q '^install .*VFIO_IOVA_NESTED=1 /sbin/modprobe --ignore-install vfio_iommu_iova' $w/with"
check "with the file, the stock backend is not inserted" \
	"! grep -q 'vfio_iommu_type1.ko' $w/with"
modprobe -d "$w" -S "$abi" -C "$TOP/src/modprobe.d" --show-depends vfio_iommu_type1 >"$w/explicit" 2>&1
check "an explicit request for vfio_iommu_type1 loads ours" \
	"grep -q 'ignore-install vfio_iommu_iova' $w/explicit && ! grep -q 'vfio_iommu_type1.ko' $w/explicit"
modprobe -d "$w" -S "$abi" -C "$TOP/src/modprobe.d" --ignore-install --show-depends \
	vfio_iommu_type1 >"$w/ignore" 2>&1
check "--ignore-install still reaches the stock backend (documented way back)" \
	"grep -q 'insmod .*/vfio_iommu_type1.ko' $w/ignore"
modprobe -d "$w" -S "$abi" -C "$TOP/src/modprobe.d" --show-depends vfio_iommu_iova >"$w/ours" 2>&1
check "vfio_iommu_iova resolves to our module after vfio" \
	"grep -q 'insmod .*/updates/dkms/vfio_iommu_iova.ko' $w/ours && grep -q 'insmod .*/vfio.ko' $w/ours"
