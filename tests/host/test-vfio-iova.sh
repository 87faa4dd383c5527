# SPDX-License-Identifier: GPL-2.0
# The vfio-iova tool on fake sysfs trees (VFIO_IOVA_SYSFS) shaped like the
# guests' (an intel-iommu with aw-bits 48, and AMD-Vi with its
# HyperTransport hole): host, check, merge, their exit codes and messages.
. "$(dirname "$0")/../lib/common.sh"

w=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$w"' EXIT
make -s -C "$TOP" tool TOOL="$w/vfio-iova" >"$w/build.log" 2>&1 || { cat "$w/build.log"; exit 1; }
T=$w/vfio-iova
export VFIO_IOVA_DEBUGFS=$w/none

# fake_host ROOT IOMMU: two groups, edu (vfio-pci) and an ISA bridge group
# with a direct-relaxable region, behind IOMMU intel48 or amd.
fake_host() {
	local s=$1/sys g
	mkdir -p "$s/class/iommu/u0/intel-iommu" "$s/class/iommu/u1/amd-iommu" "$s/bus/pci/drivers/vfio-pci"
	echo d2008c222f0606 >"$s/class/iommu/u0/intel-iommu/cap"
	echo 246577efa22542fa:0 >"$s/class/iommu/u1/amd-iommu/features"	# EFR HATS 0
	for g in 1 2; do
		local bdf=0000:00:0$g.0 d=$s/devices/pci0000:00/0000:00:0$g.0
		mkdir -p "$d" "$s/kernel/iommu_groups/$g/devices" "$s/bus/pci/devices"
		ln -s "$d" "$s/kernel/iommu_groups/$g/devices/$bdf"
		ln -s "$s/kernel/iommu_groups/$g" "$d/iommu_group"
		ln -s "$d" "$s/bus/pci/devices/$bdf"
		ln -s "$s/class/iommu/$([ "$2" = amd ] && echo u1 || echo u0)" "$d/iommu"
		printf '0x00000000fee00000 0x00000000feefffff msi\n' >"$s/kernel/iommu_groups/$g/reserved_regions"
		[ "$2" != amd ] || printf '0x000000fd00000000 0x000000ffffffffff reserved\n' \
			>>"$s/kernel/iommu_groups/$g/reserved_regions"
	done
	ln -s "$s/bus/pci/drivers/vfio-pci" "$s/devices/pci0000:00/0000:00:01.0/driver"
	sed -i '1i 0x0000000000000000 0x0000000000ffffff direct-relaxable' "$s/kernel/iommu_groups/2/reserved_regions"
}
fake_host "$w/intel" intel48
fake_host "$w/amd" amd

VFIO_IOVA_SYSFS=$w/intel/sys "$T" host >"$w/h.txt" 2>&1
check "host: exit 0" "[ $? = 0 ]"
check "host: intel-iommu aperture from the cap register (48 bits)" \
	"grep -q 'aperture  0x0000000000000000  0x0000ffffffffffff  256 TiB .*intel-iommu cap (48 bits)' $w/h.txt"
check "host: devices with their drivers" "grep -q 'group 1: 0000:00:01.0 (vfio-pci)' $w/h.txt && grep -q '0000:00:02.0 (no driver)' $w/h.txt"
check "host: direct-relaxable shown as not excluded" "grep -q 'direct-relaxable (not excluded)' $w/h.txt"
check "host: valid ranges are the aperture minus the MSI window" \
	"grep -A3 '^Valid' $w/h.txt | grep -q '0x0000000000000000  0x00000000fedfffff' &&
	 grep -A3 '^Valid' $w/h.txt | grep -q '0x00000000fef00000  0x0000ffffffffffff'"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" --json host >"$w/intel.json"
VFIO_IOVA_KERNEL_RELEASE=6.12.117+deb12-amd64 VFIO_IOVA_SYSFS=$w/amd/sys "$T" host --json >"$w/amd.json"
check "host --json: AMD aperture on 6.x is the whole 64-bit space" "grep -q '\"last\": \"0xffffffffffffffff\"}, \"aperture_source\": \"amd-iommu' $w/amd.json"
VFIO_IOVA_KERNEL_RELEASE=7.2.13+deb14-amd64 VFIO_IOVA_SYSFS=$w/amd/sys "$T" host >"$w/h7.txt" 2>&1
check "host: AMD aperture on 7.x from EFR HATS 0: 48 bits" \
	"grep -q 'aperture  0x0000000000000000  0x0000ffffffffffff .*amd-iommu v1 page table (48 bits)' $w/h7.txt"
echo 246577efa22546fa:0 >"$w/amd/sys/class/iommu/u1/amd-iommu/features"	# HATS 1
mkdir -p "$w/amd/sys/firmware/acpi/tables"
# IVRS tables whose IVinfo (bits 21:15 VASize, bit 0 EFRSup) says: 52, EFR
# in the table; then 0 (64), EFR not in the table (QEMU's AMD-Vi).
printf 'IVRS%32s\x01\x00\x1a\x00' "" | tr ' ' '\0' >"$w/amd/sys/firmware/acpi/tables/IVRS"
VFIO_IOVA_KERNEL_RELEASE=7.2.13+deb14-amd64 VFIO_IOVA_SYSFS=$w/amd/sys "$T" host >"$w/h7.txt" 2>&1
check "host: AMD aperture on 7.x: HATS 1 (57 bits) capped by IVRS VASize 52" \
	"grep -q 'aperture  0x0000000000000000  0x000fffffffffffff .*(52 bits)' $w/h7.txt"
printf 'IVRS%32s\x00\x28\x00\x00' "" | tr ' ' '\0' >"$w/amd/sys/firmware/acpi/tables/IVRS"
VFIO_IOVA_KERNEL_RELEASE=7.2.13+deb14-amd64 VFIO_IOVA_SYSFS=$w/amd/sys "$T" host >"$w/h7.txt" 2>&1
check "host: AMD aperture on 7.x, no EFR in IVRS: sized as HATS 0 (48 bits)" \
	"grep -q 'aperture  0x0000000000000000  0x0000ffffffffffff .*(48 bits)' $w/h7.txt"
rm -rf "$w/amd/sys/firmware"
echo 246577efa22542fa:0 >"$w/amd/sys/class/iommu/u1/amd-iommu/features"

"$T" --json merge "$w/intel.json" "$w/amd.json" >"$w/m.json"
check "merge: exit 0" "[ $? = 0 ]"
check "merge: the intersection of both hosts" \
	"grep -q '\"valid\": \[{\"start\": \"0x0\", \"last\": \"0xfedfffff\"}, {\"start\": \"0xfef00000\", \"last\": \"0xfcffffffff\"}, {\"start\": \"0x10000000000\", \"last\": \"0xffffffffffff\"}\]' $w/m.json"
"$T" merge "$w/m.json" "$w/intel.json" >"$w/m2.txt"
check "merge: its own output merges again (human table)" "grep -q '0x0000010000000000  0x0000ffffffffffff' $w/m2.txt"

VFIO_IOVA_SYSFS=$w/amd/sys "$T" check --memmap 0-2G,4G-68G >"$w/c.txt" 2>&1
check "check: a map that fits exits 0" "[ $? = 0 ] && grep -q 'The memory map fits' $w/c.txt"
VFIO_IOVA_SYSFS=$w/amd/sys "$T" check --memmap 0-4G,1000G+64G >"$w/c.txt" 2>&1
check "check: a colliding map exits 1" "[ $? = 1 ]"
check "check: names the MSI window and its group" "grep -q '\[0xfee00000-0xfeefffff\] msi reserved region of group 1' $w/c.txt"
check "check: names the HyperTransport hole" "grep -q '\[0xfd00000000-0xffffffffff\] reserved reserved region of group 1' $w/c.txt"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" check --memmap 255T+2T >"$w/c.txt" 2>&1
check "check: names the aperture" "[ $? = 1 ] && grep -q 'outside the IOMMU aperture \[0x0-0xffffffffffff\] of group 1' $w/c.txt"
"$T" check --memmap 0-4G --ranges "$w/m.json" >"$w/c.txt" 2>&1
check "check --ranges: against a merged file" "[ $? = 1 ] && grep -q 'hole 0xfee00000-0xfeefffff' $w/c.txt"
echo 0-1G,2G-3G >"$w/spec"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" --json check --memmap "@$w/spec" >"$w/c.json" 2>&1
check "check --json --memmap @FILE" "[ $? = 0 ] && grep -q '^{\"fits\": true, \"collisions\": \[\]}' $w/c.json"

bad() {	# bad DESCRIPTION PATTERN ARGS...: exit 2 with PATTERN on stderr
	local d=$1 p=$2
	shift 2
	VFIO_IOVA_SYSFS=$w/intel/sys "$T" "$@" >"$w/o" 2>"$w/e"
	check "error: $d" "[ $? = 2 ] && grep -q '$p' $w/e && [ ! -s $w/o ]"
}
bad "malformed spec" "expected START-END or START+SIZE" check --memmap 1x-2G
bad "malformed size" "expected a number" check --memmap 1G-x
bad "missing --memmap" "memmap SPEC is required" check
bad "unknown command" "unknown command" frobnicate
bad "missing file" "nosuch.json: No such file" merge "$w/nosuch.json"
echo '{"valid": [{"start": "0x10", "last": "0x1"}]}' >"$w/bad1.json"
bad "start above last in a file" "start <= last" merge "$w/bad1.json"
echo '{"valid": [' >"$w/bad2.json"
bad "truncated JSON" "JSON: unexpected end" merge "$w/bad2.json"
echo '{"groups": []}' >"$w/bad3.json"
bad "JSON without valid ranges" 'no "valid" array' merge "$w/bad3.json"
bad "no such PCI device" "no such PCI device" check --memmap 0-1G 0000:00:09.0
bad "--memmap outside check" "belong to check" host --memmap 0-1G
VFIO_IOVA_SYSFS=$w/empty "$T" host >"$w/o" 2>"$w/e"
check "error: no IOMMU groups directory" "[ $? = 2 ] && grep -q 'is an IOMMU enabled' $w/e"
