# SPDX-License-Identifier: GPL-2.0
# The vfio-iova tool on fake sysfs trees (VFIO_IOVA_SYSFS) shaped like the
# guests' (an intel-iommu with aw-bits 48, AMD-Vi with its HyperTransport
# hole, and a virtio-iommu, whose aperture sysfs does not give): host,
# check, merge, their exit codes and messages; and the man page against the
# code.
. "$(dirname "$0")/../lib/common.sh"

w=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$w"' EXIT
make -s -C "$TOP" tool TOOL="$w/vfio-iova" >"$w/build.log" 2>&1 || { cat "$w/build.log"; exit 1; }
T=$w/vfio-iova
export VFIO_IOVA_DEBUGFS=$w/none

# fake_host ROOT IOMMU: two groups, edu (vfio-pci) and an ISA bridge group
# with a direct-relaxable region, behind IOMMU intel48, amd or virtio.
fake_host() {
	local s=$1/sys g u
	case $2 in amd) u=u1 ;; virtio) u=u2 ;; *) u=u0 ;; esac
	mkdir -p "$s/class/iommu/u0/intel-iommu" "$s/class/iommu/u1/amd-iommu" "$s/class/iommu/u2" \
		"$s/bus/pci/drivers/vfio-pci"
	echo d2008c222f0606 >"$s/class/iommu/u0/intel-iommu/cap"
	echo 246577efa22542fa:0 >"$s/class/iommu/u1/amd-iommu/features"	# EFR HATS 0
	for g in 1 2; do
		local bdf=0000:00:0$g.0 d=$s/devices/pci0000:00/0000:00:0$g.0
		mkdir -p "$d" "$s/kernel/iommu_groups/$g/devices" "$s/bus/pci/devices"
		ln -s "$d" "$s/kernel/iommu_groups/$g/devices/$bdf"
		ln -s "$s/kernel/iommu_groups/$g" "$d/iommu_group"
		ln -s "$d" "$s/bus/pci/devices/$bdf"
		ln -s "$s/class/iommu/$u" "$d/iommu"
		printf '0x00000000fee00000 0x00000000feefffff msi\n' >"$s/kernel/iommu_groups/$g/reserved_regions"
		[ "$2" != amd ] || printf '0x000000fd00000000 0x000000ffffffffff reserved\n' \
			>>"$s/kernel/iommu_groups/$g/reserved_regions"
	done
	ln -s "$s/bus/pci/drivers/vfio-pci" "$s/devices/pci0000:00/0000:00:01.0/driver"
	sed -i '1i 0x0000000000000000 0x0000000000ffffff direct-relaxable' "$s/kernel/iommu_groups/2/reserved_regions"
}
fake_host "$w/intel" intel48
fake_host "$w/amd" amd
fake_host "$w/virtio" virtio

# fake_arm ROOT DRIVER: one group behind an arm64 IOMMU whose platform
# device is bound to DRIVER, reporting the MSI region at 0x8000000.
fake_arm() {
	local s=$1/sys d=$1/sys/devices/platform/4010000000.pcie/pci0000:00/0000:00:02.0
	mkdir -p "$d" "$s/kernel/iommu_groups/3/devices" "$s/devices/platform/9050000.smmuv3" \
		"$s/bus/platform/drivers/$2" "$s/class/iommu/smmu3.0x0000000009050000"
	ln -s "$s/devices/platform/9050000.smmuv3" "$s/class/iommu/smmu3.0x0000000009050000/device"
	ln -s "$s/bus/platform/drivers/$2" "$s/devices/platform/9050000.smmuv3/driver"
	ln -s "$d" "$s/kernel/iommu_groups/3/devices/0000:00:02.0"
	ln -s "$s/class/iommu/smmu3.0x0000000009050000" "$d/iommu"
	printf '0x0000000008000000 0x00000000080fffff msi\n' >"$s/kernel/iommu_groups/3/reserved_regions"
}
fake_arm "$w/smmu" arm-smmu-v3
fake_arm "$w/other" virtio-iommu
VFIO_IOVA_SYSFS=$w/smmu/sys "$T" check --memmap 0x8000000+4K >"$w/sm.txt" 2>&1
check "check: the SMMU's MSI region at 0x8000000 is named the software MSI window" \
	"[ $? = 1 ] && grep -q 'reserved region of group 3 (type sw-msi)' $w/sm.txt"
VFIO_IOVA_SYSFS=$w/smmu/sys "$T" host >"$w/smh.txt" 2>&1
check "host: the SMMU's window named as such" \
	"grep -q 'reserved  0x0000000008000000  0x00000000080fffff  1 MiB      sw-msi (the SMMU.s software MSI window)' $w/smh.txt"
VFIO_IOVA_SYSFS=$w/smmu/sys "$T" --json host >"$w/sm.json"
check "host --json: the SMMU's window has type sw-msi" "grep -q '\"type\": \"sw-msi\"' $w/sm.json"
VFIO_IOVA_SYSFS=$w/other/sys "$T" check --memmap 0x8000000+4K >"$w/ot.txt" 2>&1
check "check: the same region behind another IOMMU stays msi" \
	"[ $? = 1 ] && grep -q 'reserved region of group 3 (type msi)' $w/ot.txt"

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
check "check: names the MSI window, once for both its groups" \
	"grep -q '^      \[0xfee00000-0xfeefffff\] reserved region of groups 1, 2 (type msi)$' $w/c.txt &&
	 [ \$(grep -c '0xfee00000-0xfeefffff\] reserved region' $w/c.txt) = 1 ]"
check "check: names the HyperTransport hole by its type, once" \
	"grep -q '\[0xfd00000000-0xffffffffff\] reserved region of groups 1, 2 (type reserved)$' $w/c.txt &&
	 [ \$(grep -c '0xfd00000000-0xffffffffff\] reserved region' $w/c.txt) = 1 ] &&
	 ! grep -q 'reserved reserved' $w/c.txt"
cp -a "$w/amd" "$w/amd1"	# the HyperTransport hole in group 1 only
sed -i '/ reserved$/d' "$w/amd1/sys/kernel/iommu_groups/2/reserved_regions"
VFIO_IOVA_SYSFS=$w/amd1/sys "$T" check --memmap 1000G+64G >"$w/c.txt" 2>&1
check "check: a cause of one group names it, its type and its devices" \
	"[ $? = 1 ] && grep -q '^      \[0xfd00000000-0xffffffffff\] reserved region of group 1 (type reserved): 0000:00:01.0 (vfio-pci)$' $w/c.txt"
VFIO_IOVA_SYSFS=$w/amd/sys "$T" --json check --memmap 0-4G,1000G+64G >"$w/c.json" 2>&1
check "check --json: a cause shared by groups is one object listing them" \
	"grep -q '\"hole\": {\"start\": \"0xfee00000\", \"last\": \"0xfeefffff\"}, \"causes\": \[{\"start\": \"0xfee00000\", \"last\": \"0xfeefffff\", \"cause\": \"reserved\", \"type\": \"msi\", \"groups\": \[1, 2\]}\]}' $w/c.json &&
	 [ \$(grep -o '\"type\": \"reserved\"' $w/c.json | wc -l) = 1 ]"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" check --memmap 255T+2T >"$w/c.txt" 2>&1
check "check: names the aperture, once for both its groups" \
	"[ $? = 1 ] && grep -q 'outside the IOMMU aperture \[0x0-0xffffffffffff\] of groups 1, 2 (intel-iommu cap (48 bits))$' $w/c.txt &&
	 [ \$(grep -c 'outside the IOMMU aperture' $w/c.txt) = 1 ]"
"$T" check --memmap 0-4G --ranges "$w/m.json" >"$w/c.txt" 2>&1
check "check --ranges: against a merged file" "[ $? = 1 ] && grep -q 'hole 0xfee00000-0xfeefffff' $w/c.txt"
echo 0-1G,2G-3G >"$w/spec"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" --json check --memmap "@$w/spec" >"$w/c.json" 2>&1
check "check --json --memmap @FILE" "[ $? = 0 ] && grep -q '^{\"fits\": true, \"aperture_known\": true, \"aperture_unknown_groups\": \[\], \"collisions\": \[\]}' $w/c.json"

# --memmap @FILE: every line counts (a collision on a later line is found).
printf '0-1G\n\n2G-3G,0xfee00000+4K\n4G+1G\n' >"$w/spec"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" check --memmap "@$w/spec" >"$w/c.txt" 2>&1
check "check --memmap @FILE: a collision on a later line is found" \
	"[ $? = 1 ] && grep -q '0x00000000fee00000  0x00000000fee00fff  4 KiB      COLLIDES:' $w/c.txt &&
	 grep -q '0x0000000100000000  0x000000013fffffff  1 GiB      fits' $w/c.txt"
printf '0-1G\r\n2G-3G\r\n' >"$w/spec"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" check --memmap "@$w/spec" >"$w/c.txt" 2>&1
check "check --memmap @FILE: DOS line ends are accepted" \
	"[ $? = 0 ] && grep -q '0x0000000080000000  0x00000000bfffffff' $w/c.txt"
printf '0-1G\n2G-3G\n3G+1x\r\n' >"$w/spec"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" check --memmap "@$w/spec" >"$w/o" 2>"$w/e"
check "check --memmap @FILE: a bad line is named, its CR not printed raw" \
	"[ $? = 2 ] && grep -q \"line 3: '3G+1x': unexpected 'x' after the SIZE\" $w/e && ! grep -q \$'\\r' $w/e"

# Repeated --memmap options add up.
VFIO_IOVA_SYSFS=$w/intel/sys "$T" check --memmap 0xfee00000+4K --memmap 0-2G >"$w/c.txt" 2>&1
check "check: repeated --memmap add up (the first one is not dropped)" \
	"[ $? = 1 ] && grep -q '0x00000000fee00000  0x00000000fee00fff  4 KiB      COLLIDES:' $w/c.txt &&
	 grep -q '0x0000000000000000  0x000000007fffffff  2 GiB      fits' $w/c.txt"
printf '4G+1G\n' >"$w/spec"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" check --memmap 0-1G --memmap "@$w/spec" --memmap 1G-2G >"$w/c.txt" 2>&1
check "check: --memmap SPEC and @FILE mixed, their union" \
	"[ $? = 0 ] && [ \$(grep -c ' fits$' $w/c.txt) = 2 ] &&
	 grep -q '0x0000000000000000  0x000000007fffffff  2 GiB      fits' $w/c.txt"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" check --memmap 0-16E >"$w/c.txt" 2>&1
check "check --memmap 0-16E: the whole space, to 2^64 exclusive" \
	"[ $? = 1 ] && grep -q '0x0000000000000000  0xffffffffffffffff  16 EiB     COLLIDES:' $w/c.txt"

# A virtio-iommu host: sysfs gives no aperture, so check cannot say "fits".
VFIO_IOVA_SYSFS=$w/virtio/sys "$T" host >"$w/h.txt" 2>&1
check "host: an unknown aperture says why (not in sysfs), no wrong reason" \
	"[ $? = 0 ] && grep -q '^  aperture  unknown: its IOMMU does not publish it in sysfs' $w/h.txt &&
	 ! grep -q 'not attached' $w/h.txt &&
	 grep -q '^The IOMMU aperture of groups 1, 2 is unknown' $w/h.txt"
VFIO_IOVA_SYSFS=$w/virtio/sys "$T" --json host >"$w/virtio.json"
check "host --json: aperture_known false on virtio-iommu, true on intel-iommu" \
	"grep -q '\"aperture_known\": false, \"groups\"' $w/virtio.json &&
	 grep -q '\"aperture_known\": true, \"groups\"' $w/intel.json"
VFIO_IOVA_SYSFS=$w/virtio/sys "$T" check --memmap 0-2G,4G-68G >"$w/c.txt" 2>&1
check "check: unknown aperture, no collision: exit 3, said plainly" \
	"[ $? = 3 ] && grep -q '^The IOMMU aperture of groups 1, 2 is unknown (its IOMMU does not publish it in sysfs): only the reserved regions were checked\\.$' $w/c.txt &&
	 grep -q '^The memory map fits the reserved regions, but the aperture is unknown: .*--assume-full-aperture' $w/c.txt &&
	 ! grep -q '^The memory map fits\.' $w/c.txt"
VFIO_IOVA_SYSFS=$w/virtio/sys "$T" check --assume-full-aperture --memmap 0-2G,4G-68G >"$w/c.txt" 2>&1
check "check --assume-full-aperture: accepted, exit 0, still said" \
	"[ $? = 0 ] && grep -q 'full 64-bit space assumed' $w/c.txt && grep -q '^The memory map fits\.' $w/c.txt"
VFIO_IOVA_SYSFS=$w/virtio/sys "$T" check --memmap 0-4G >"$w/c.txt" 2>&1
check "check: unknown aperture and a collision: exit 1" "[ $? = 1 ] && grep -q 'does NOT fit' $w/c.txt"
VFIO_IOVA_SYSFS=$w/virtio/sys "$T" --json check --memmap 0-2G >"$w/c.json" 2>&1
check "check --json: unknown aperture: fits null, aperture_known false, the groups" \
	"[ $? = 3 ] && grep -q '^{\"fits\": null, \"aperture_known\": false, \"aperture_unknown_groups\": \[1, 2\], \"collisions\": \[\]}' $w/c.json"
VFIO_IOVA_SYSFS=$w/virtio/sys "$T" --json check --memmap 0-2G --assume-full-aperture >"$w/c.json" 2>&1
check "check --json --assume-full-aperture: fits true, aperture_known still false" \
	"[ $? = 0 ] && grep -q '^{\"fits\": true, \"aperture_known\": false,' $w/c.json"
"$T" --json merge "$w/intel.json" "$w/virtio.json" >"$w/mv.json"
check "merge --json: aperture_known false if one host's is unknown" \
	"grep -q '\"aperture_known\": false, \"valid\"' $w/mv.json && grep -q '\"aperture_known\": true, \"valid\"' $w/m.json"
"$T" merge "$w/intel.json" "$w/virtio.json" >"$w/mv.txt"
check "merge: names the host whose aperture is unknown" \
	"grep -q 'virtio.json (.*): 2 ranges, IOMMU aperture unknown' $w/mv.txt"
"$T" check --memmap 0-2G --ranges "$w/virtio.json" >"$w/c.txt" 2>&1
check "check --ranges: a host file of unknown aperture: exit 3" \
	"[ $? = 3 ] && grep -q 'aperture of a host in .*virtio.json is unknown' $w/c.txt"
"$T" check --memmap 0-2G --ranges "$w/intel.json" >"$w/c.txt" 2>&1
check "check --ranges: a host file of known aperture: exit 0" "[ $? = 0 ]"
sed 's/"aperture_known": false, //' "$w/virtio.json" >"$w/old.json"
"$T" check --memmap 0-2G --ranges "$w/old.json" --assume-full-aperture >"$w/o" 2>&1
"$T" check --memmap 0-2G --ranges "$w/old.json" >"$w/c.txt" 2>&1
check "check --ranges: a file without aperture_known, a group's aperture_source unknown: exit 3" \
	"[ $? = 3 ] && ! grep -q aperture_known $w/old.json && grep -q 'fits' $w/o"

bad() {	# bad DESCRIPTION PATTERN ARGS...: exit 2 with PATTERN on stderr
	local d=$1 p=$2
	shift 2
	VFIO_IOVA_SYSFS=$w/intel/sys "$T" "$@" >"$w/o" 2>"$w/e"
	check "error: $d" "[ $? = 2 ] && grep -q '$p' $w/e && [ ! -s $w/o ]"
}
bad "malformed spec" "expected START-END or START+SIZE" check --memmap 1x-2G
bad "malformed size" "expected a number" check --memmap 1G-x
bad "a hex number with a unit" "0x1G.: a 0x number takes no unit: write 0x40000000, or 1G" check --memmap 0-0x1G
bad "a fraction" "fractions are not supported" check --memmap 0-1.5G
bad "a decimal-looking unit" "ambiguous unit .kB.: write K or KiB" check --memmap 0-4kB
bad "a CR in a spec, escaped" "0-1G\\\\r.: unexpected" check --memmap "$(printf '0-1G\r')"
bad "a bad spec after a good one" ".2G-1G.: the end must be above the start" check --memmap 0-1G --memmap 2G-1G
printf '\n \r\n' >"$w/blank"
bad "a memmap file of empty lines" "every line is empty" check --memmap "@$w/blank"
bad "--assume-full-aperture outside check" "belong to check" host --assume-full-aperture
bad "missing --memmap" "memmap SPEC is required" check
bad "unknown command" "unknown command" frobnicate
bad "missing file" "nosuch.json: No such file" merge "$w/nosuch.json"
echo '{"valid": [{"start": "0x10", "last": "0x1"}]}' >"$w/bad1.json"
bad "start above last in a file" "start <= last" merge "$w/bad1.json"
echo '{"valid": [' >"$w/bad2.json"
bad "truncated JSON" "JSON: .* expected near end of file (line 2, column 0)" merge "$w/bad2.json"
echo '{"groups": []}' >"$w/bad3.json"
bad "JSON without valid ranges" 'no "valid" array' merge "$w/bad3.json"
bad "no such PCI device" "no such PCI device" check --memmap 0-1G 0000:00:09.0
bad "--memmap outside check" "belongs to check" host --memmap 0-1G
VFIO_IOVA_SYSFS=$w/empty "$T" host >"$w/o" 2>"$w/e"
check "error: no IOMMU groups directory" "[ $? = 2 ] && grep -q 'is an IOMMU enabled' $w/e"
"$T" "$(printf 'frob\rnicate')" >"$w/o" 2>"$w/e"
check "error: an unknown command's CR is escaped" "[ $? = 2 ] && grep -q \"unknown command 'frob\\\\\\\\rnicate'\" $w/e"

# merge of 50,000 ranges (unsorted, with overlapping duplicates): the union
# of each file, then the intersection, against the ranges they were made of.
awk 'BEGIN {
	srand(7)
	for (k = 0; k < 50000; k++) o[k] = k
	for (k = 49999; k > 0; k--) { j = int(rand() * (k + 1)); t = o[k]; o[k] = o[j]; o[j] = t }
	printf "{\"valid\": ["
	for (k = 0; k < 50000; k++) {
		b = o[k] * 8192
		printf "%s{\"start\": \"0x%x\", \"last\": \"0x%x\"}", k ? ", " : "", b, b + 4095
		if (k % 3 == 0)	# a piece of it again
			printf ", {\"start\": \"0x%x\", \"last\": \"0x%x\"}", b + 2048, b + 4095
	}
	print "]}"
}' >"$w/big.json"
awk 'BEGIN { for (k = 0; k < 50000; k++) printf "0x%x-0x%x\n", k * 8192, k * 8192 + 4095 }' >"$w/big.want"
echo '{"valid": [{"start": "0x0", "last": "0x7fffffffffffffff"}, {"start": "0x1000", "last": "0xffffffffffffffff"}]}' >"$w/all.json"
"$T" --json merge "$w/big.json" "$w/all.json" >"$w/bigm.json" 2>&1
{ tr -d '\n'; echo; } <"$w/bigm.json" | sed 's/.*"valid": //' | tr '{' '\n' |
	sed -n 's/.*"start": "\(0x[0-9a-f]*\)", "last": "\(0x[0-9a-f]*\)".*/\1-\2/p' >"$w/big.got"
check "merge: 50,000 unsorted, overlapping ranges give exactly their union" \
	"cmp -s $w/big.want $w/big.got"

# why on a fake debugfs: one container of this shell, its last refusal of
# each kind, and the advice with the numbers of the module's text.
fake_why() {	# fake_why REASON ERRNO TEXT
	local d=$w/dbg
	rm -rf "$d"; mkdir -p "$d/9"
	printf 'id pid comm type groups mappings pinned_pages refused_maps refused_attaches\n' >"$d/containers"
	printf '8 1 init type1v2 1 0 0 0 0\n9 %d qemu type1v2 1 3 100 2 0\n' $$ >>"$d/containers"
	printf 'owner: %d qemu\ntype: type1v2\nmappings: 3\npinned_pages: 100\n' $$ >"$d/9/stats"
	printf 'refusals: 2\nlast_op: map\nlast_errno: %s\nlast_reason: %s\nlast_text: %s\nop.map: 2\nreason.%s: 2\n' \
		"$2" "$1" "$3" "$1" >"$d/9/refusals"
	VFIO_IOVA_DEBUGFS=$d "$T" why $$ >"$w/why.txt" 2>&1
}
fake_why memlock -12 "2048 kB more locked memory needed; pid 77 has 1046528 kB locked, RLIMIT_MEMLOCK is 1048576 kB"
check "why: memlock: exit 0, errno named, the limit to set" \
	"[ $? = 0 ] && grep -q 'last: map refused with ENOMEM (memlock)' $w/why.txt && grep -q 'raise the memlock limit of pid 77 from 1048576 kB to at least 1048576 kB' $w/why.txt"
fake_why memlock -12 "4096 kB more locked memory needed; pid 77 has 1048576 kB locked, RLIMIT_MEMLOCK is 1048576 kB"
check "why: memlock: how much more" "grep -q 'at least 1052672 kB (4096 kB more): prlimit --pid 77 --memlock=1077936128' $w/why.txt"
fake_why entry_limit -28 "65535 mappings exist, the dma_entry_limit the container was opened with"
check "why: entry_limit: a limit above the count" \
	"grep -q 'raise dma_entry_limit above 65535' $w/why.txt && grep -q 'refused with ENOSPC (entry_limit)' $w/why.txt"
fake_why range -22 "[0xfd00000000-0xfd3fffffff]: IOVA 0xfd00000000 is in reserved region [0xfd00000000-0xffffffffff] (reserved) of group 4"
check "why: range: the region and its group" \
	"grep -q 'guest memory at 0xfd00000000 collides with the reserved region \[0xfd00000000-0xffffffffff\] of group 4' $w/why.txt"
fake_why range -22 "[0x8000000000-0x8000000fff]: IOVA 0x8000000000 is outside the aperture [0-0x7fffffffff] of group 4"
check "why: range: the aperture's end" \
	"grep -q \"group 4's IOMMU translates only \[0-0x7fffffffff\]\" $w/why.txt && grep -q 'below 0x8000000000' $w/why.txt"
fake_why layout -22 "group 5: mapping [0xfee00000-0xfee00fff] overlaps its reserved region [0xfee00000-0xfeefffff] (msi)"
check "why: layout: the group cannot join, check before hot-plug" \
	"grep -q 'group 5 cannot join the container of pid $$' $w/why.txt && grep -q 'check --memmap MAP 5' $w/why.txt"
VFIO_IOVA_DEBUGFS=$w/dbg "$T" --json why $$ >"$w/why.json" 2>&1
check "why --json: valid JSON with the reason and the advice" \
	"python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d[\"containers\"][0]; assert c[\"last\"][\"reason\"]==\"layout\" and c[\"by_reason\"][\"layout\"]==2 and \"cannot join\" in c[\"last\"][\"advice\"]' $w/why.json"
VFIO_IOVA_DEBUGFS=$w/dbg "$T" why 1 >"$w/why.txt" 2>&1
check "why: a process without a container of ours: exit 1, said" \
	"[ $? = 1 ] && grep -q 'pid 1: no VFIO container' $w/why.txt"
mkdir -p "$w/loaded/module/vfio_iommu_iova"
VFIO_IOVA_SYSFS=$w/loaded "$T" why $$ >"$w/why.txt" 2>&1
check "why: ours loaded, no debugfs of ours: exit 2, what to do" "[ $? = 2 ] && grep -q 'mount -t debugfs' $w/why.txt"
VFIO_IOVA_SYSFS=$w/intel/sys "$T" why $$ >"$w/why.txt" 2>&1
check "why: ours not loaded: exit 1, said" "[ $? = 1 ] && grep -q 'no VFIO container' $w/why.txt"
"$T" why 12x >"$w/why.txt" 2>&1
check "why: not a process id: exit 2" "[ $? = 2 ] && grep -q \"'12x' is not a process id\" $w/why.txt"

# metrics: the Prometheus text format, from the fake debugfs and an AMD
# host's sysfs, read by Debian's node_exporter (textfile collector) and
# scraped from its /metrics.
fake_why range -22 "[0xfd00000000-0xfd3fffffff]: IOVA 0xfd00000000 is in reserved region [0xfd00000000-0xffffffffff] (reserved) of group 4"
printf '0x0000000000100000-0x00000000001fffff size 0x100000 rw pinned 256\n0x0000000100000000-0x0000000100000fff size 0x1000 rw pinned 1\n' \
	>"$w/dbg/9/mappings"
printf 'dma_avail: 65532\n' >>"$w/dbg/9/stats"
mkdir -p "$w/dbg/8"
printf '0x0000000000000000-0x0000000000000fff size 0x1000 rw pinned 1\n' >"$w/dbg/8/mappings"
printf 'type: type1\nmappings: 1\npinned_pages: 1\ndma_avail: 9\n' >"$w/dbg/8/stats"
printf 'refusals: 0\n' >"$w/dbg/8/refusals"
sed -i 's/^8 1 init /8 1 a"b\\c /' "$w/dbg/containers"
mkdir -p "$w/prom"
VFIO_IOVA_DEBUGFS=$w/dbg VFIO_IOVA_SYSFS=$w/amd/sys "$T" metrics --output "$w/prom/vfio-iova.prom" >"$w/metrics.out" 2>&1
check "metrics --output: exit 0, the file replaced, nothing else left" \
	"[ $? = 0 ] && [ ! -s $w/metrics.out ] && [ \"\$(ls $w/prom)\" = vfio-iova.prom ]"
m=$w/prom/vfio-iova.prom
check "metrics: mappings, limit, bytes and charged pages per container" \
	"grep -qx 'vfio_iova_container_mappings{container=\"9\",pid=\"$$\",comm=\"qemu\"} 3' $m &&
	 grep -qx 'vfio_iova_container_dma_entry_limit{container=\"9\",pid=\"$$\",comm=\"qemu\"} 65535' $m &&
	 grep -qx 'vfio_iova_container_mapped_bytes{container=\"9\",pid=\"$$\",comm=\"qemu\"} 1052672' $m &&
	 grep -qx 'vfio_iova_container_charged_pages{container=\"9\",pid=\"$$\",comm=\"qemu\"} 100' $m"
check "metrics: refusals by request and by reason" \
	"grep -qx 'vfio_iova_container_refused_total{container=\"9\",pid=\"$$\",comm=\"qemu\",op=\"map\"} 2' $m &&
	 grep -qx 'vfio_iova_container_refusals_by_reason_total{container=\"9\",pid=\"$$\",comm=\"qemu\",reason=\"range\"} 2' $m"
check "metrics: a command name's quote and backslash escaped" "grep -qF 'comm=\"a\\\"b\\\\c\"' $m"
check "metrics: the host's valid ranges (AMD: the HyperTransport hole excluded)" \
	"grep -qx 'vfio_iova_host_valid_range_bytes{start=\"0xfef00000\",last=\"0xfcffffffff\"} 1082349584384' $m &&
	 grep -qx 'vfio_iova_host_valid_ranges 3' $m && grep -qx 'vfio_iova_up 1' $m"
# A container of 2,000 mappings: a mappings file of 140 KB, read whole.
cp "$w/dbg/9/mappings" "$w/maps9"
awk 'BEGIN { for (i = 0; i < 2000; i++)
	printf "0x%016x-0x%016x size 0x2000 rw pinned 2\n", 2^33 + i * 16384, 2^33 + i * 16384 + 8191 }' \
	>"$w/dbg/9/mappings"
VFIO_IOVA_DEBUGFS=$w/dbg VFIO_IOVA_SYSFS=$w/amd/sys "$T" metrics >"$w/big.prom" 2>&1
check "metrics: every mapping of a container of 2,000 counted (16,384,000 bytes)" \
	"grep -qx 'vfio_iova_container_mapped_bytes{container=\"9\",pid=\"$$\",comm=\"qemu\"} 16384000' $w/big.prom"
printf '0x%016x-0x%016x size 0x1000 rw pinned 1\n' 0xfee00000 0xfee00fff >>"$w/dbg/9/mappings"
VFIO_IOVA_DEBUGFS=$w/dbg VFIO_IOVA_SYSFS=$w/intel/sys "$T" hotplug-check --pid $$ 2 >"$w/hp.txt" 2>&1
check "hotplug-check: the 2,001st mapping, in the MSI window, is found" \
	"[ $? = 1 ] && grep -q 'mapping \[0xfee00000-0xfee00fff\] overlaps' $w/hp.txt"
mv "$w/maps9" "$w/dbg/9/mappings"
VFIO_IOVA_SYSFS=$w/amd/sys "$T" metrics >"$w/m0.prom" 2>&1
check "metrics without our debugfs: exit 0, vfio_iova_up 0, the host part" \
	"[ $? = 0 ] && grep -qx 'vfio_iova_up 0' $w/m0.prom && grep -q '^vfio_iova_host_valid_ranges 3' $w/m0.prom"
"$T" why --output "$w/x" 1 >"$w/why.txt" 2>&1
check "--output belongs to metrics: exit 2" "[ $? = 2 ] && grep -q 'belongs to metrics' $w/why.txt"
# Debian's node_exporter, textfile collector only, on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$w/prom" --web.listen-address="127.0.0.1:$port" \
	>"$w/ne.log" 2>&1 &
ne=$!
python3 - "$port" >"$w/scrape" 2>&1 <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())
        break
    except OSError:
        time.sleep(0.1)
PY
kill $ne 2>/dev/null; wait $ne 2>/dev/null
check "node_exporter reads the file: no scrape error, our metrics in /metrics" \
	"grep -qx 'node_textfile_scrape_error 0' $w/scrape &&
	 grep -qx 'vfio_iova_container_mappings{comm=\"qemu\",container=\"9\",pid=\"$$\"} 3' $w/scrape &&
	 grep -q '^vfio_iova_host_valid_range_bytes{last=\"0xfcffffffff\",start=\"0xfef00000\"} 1.082349584384e+12' $w/scrape ||
	 { echo '# node_exporter:'; tail -n 5 $w/ne.log | sed 's/^/#   /'; grep -i 'textfile\|vfio' $w/scrape | head -n 5 | sed 's/^/#   /'; false; }"

# hotplug-check: the fake container 9 of this shell holds [0x100000-0x1fffff]
# and [0x100000000-0x100000fff]; group 1 is in it.
printf 'group 1 aperture 0x0-0xffffffffffff pgsizes 0x40201000 coherent 1\n' >"$w/dbg/9/groups"
hp() { VFIO_IOVA_DEBUGFS=$w/dbg VFIO_IOVA_SYSFS=$w/$1/sys "$T" hotplug-check --pid $$ "${@:2}" >"$w/hp.txt" 2>&1; }
hp intel 2
check "hotplug-check: a group whose regions miss every mapping fits: exit 0" \
	"[ $? = 0 ] && grep -q 'group 2 (2): fits' $w/hp.txt && grep -q 'The hot-plug fits' $w/hp.txt"
hp intel 1
check "hotplug-check: a group in the container already says so" "grep -q 'group 1 (1): attached' $w/hp.txt"
printf '0x00000000fee00000-0x00000000fee00fff size 0x1000 rw pinned 1\n' >>"$w/dbg/9/mappings"
hp intel 0000:00:02.0
check "hotplug-check: a mapping in the group's MSI window: exit 1, named as the kernel names it" \
	"[ $? = 1 ] && grep -q 'group 2 (0000:00:02.0): REFUSED: mapping \[0xfee00000-0xfee00fff\] overlaps its reserved region \[0xfee00000-0xfeefffff\] (msi)' $w/hp.txt && grep -q 'would be refused' $w/hp.txt"
sed -i '$d' "$w/dbg/9/mappings"
printf '0x0001000000000000-0x0001000000000fff size 0x1000 rw pinned 1\n' >>"$w/dbg/9/mappings"
hp intel 2
check "hotplug-check: a mapping above a 48-bit aperture: exit 1" \
	"[ $? = 1 ] && grep -q 'is outside the aperture \[0-0xffffffffffff\] of its IOMMU' $w/hp.txt"
sed -i '$d' "$w/dbg/9/mappings"
hp virtio 2
check "hotplug-check: no conflict, aperture unknown: exit 3" \
	"[ $? = 3 ] && grep -q 'fits-aperture-unknown' $w/hp.txt"
VFIO_IOVA_DEBUGFS=$w/dbg VFIO_IOVA_SYSFS=$w/intel/sys "$T" --json hotplug-check --pid $$ 2 >"$w/hp.json" 2>&1
check "hotplug-check --json: valid JSON with the verdict" \
	"python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"fits\"] and d[\"containers\"][0][\"groups\"][0][\"verdict\"]==\"fits\"' $w/hp.json"
VFIO_IOVA_DEBUGFS=$w/dbg VFIO_IOVA_SYSFS=$w/intel/sys "$T" hotplug-check --pid 999999 2 >"$w/hp.txt" 2>&1
check "hotplug-check: a process without a container of ours: exit 2" \
	"[ $? = 2 ] && grep -q 'pid 999999 has no container of vfio-iommu-iova' $w/hp.txt"
"$T" hotplug-check 2 >"$w/hp.txt" 2>&1
check "hotplug-check without --pid: exit 2" "[ $? = 2 ]"

# plan: QEMU options whose memory map fits, laid out by QEMU itself (paused).
printf '{"valid": [{"start": "0x0", "last": "0x5fffffff"}, {"start": "0x70000000", "last": "0xfedfffff"}, {"start": "0xfef00000", "last": "0x7fffffffff"}]}\n' >"$w/low.json"
printf '{"valid": [{"start": "0x0", "last": "0xfedfffff"}, {"start": "0xfef00000", "last": "0x7fffffffff"}]}\n' >"$w/a39.json"
"$T" plan --ram 8G --ranges "$w/m.json" >"$w/p.txt" 2>&1
check "plan: a VM that fits as QEMU lays it out by default: exit 0, options" \
	"[ $? = 0 ] && grep -q '^  -machine q35$' $w/p.txt && grep -q '^  -m 8G$' $w/p.txt &&
	 grep -q 'as QEMU [0-9.]* lays it out' $w/p.txt && grep -q '^The plan fits' $w/p.txt"
"$T" --json plan --ram 8G --hotplug 8G --slots 2 --ranges "$w/low.json" >"$w/p.json" 2>&1
check "plan: a hole in the RAM below 4 GiB: max-ram-below-4g below it, QEMU's map fits" \
	"[ $? = 0 ] && grep -q '\"fits\": true' $w/p.json &&
	 grep -q '\"options\": \[\"-machine q35,max-ram-below-4g=1536M\", \"-m 8G,slots=2,maxmem=16G\"\]' $w/p.json &&
	 grep -q '{\"what\": \"RAM\", \"start\": \"0x100000000\", \"last\": \"0x29fffffff\", \"fits\": true}' $w/p.json &&
	 grep -q '{\"what\": \"hot-pluggable memory\", \"start\": \"0x2c0000000\", \"last\": \"0x53fffffff\", \"fits\": true}' $w/p.json"
# STATUS|ARGS|PATTERN|WHAT: plan ARGS exits STATUS and prints PATTERN (grep -E).
while IFS='|' read -r want args pattern what; do
	eval "\"\$T\" plan $args" >"$w/p.txt" 2>&1
	check "plan: $what: exit $want" "[ $? = $want ] && grep -Eq -- '$pattern' $w/p.txt"
done <<EOF
0|--ram 480G --ranges $w/a39.json|q35-pcihost.pci-hole64-size=30G|a 39-bit aperture: the 64-bit PCI window shrinks
0|--ram 480G --ranges $w/a39.json|0x0000007880000000  0x0000007fffffffff  30 GiB     64-bit PCI window      fits|the window ends below 512 GiB
1|--ram 480G --pci64 32G --ranges $w/a39.json|No plan fits: the 64-bit PCI window of 32 GiB at 0x7880000000 runs into the hole 0x8000000000-0x807fffffff \(2 GiB\); at most 30 GiB fit there|a window asked for that cannot fit: at most 30 GiB
1|--ram 600G --ranges $w/a39.json|No plan fits: the RAM above 4 GiB .* too large for these ranges|RAM beyond a 39-bit aperture: too large
0|--ram 1040G --ranges $w/amd.json|0x0000010000000000  0x000002037fffffff  1.01 TiB   RAM  *fits|1040 GiB on an AMD host: QEMU puts RAM above 4 GiB at 1 TiB
0|--ram 1040G --ranges $w/amd.json|address width of 42 bits|1040 GiB on an AMD host: 42 address bits
0|--ram 256M --hotplug 1100G --ranges $w/amd.json|0x0000010000000000  0x00000213ffffffff  1.07 TiB   hot-pluggable memory   fits|hot-pluggable memory alone across the HT range: moved to 1 TiB too
1|--ram 1040G --vendor intel --ranges $w/amd.json|runs into the AMD HyperTransport range 0xfd00000000-0xffffffffff.*at most 1008 GiB|the same with an Intel vCPU: names the HyperTransport range
3|--ram 2G --ranges $w/virtio.json|aperture is unknown|an unknown aperture
0|--ram 2G --assume-full-aperture --ranges $w/virtio.json|The plan fits|--assume-full-aperture
1|--machine virt --ram 4G --ranges $w/m.json|QEMU puts RAM at 0x40000000-0x13fffffff, into the hole 0xfee00000-0xfeefffff|virt RAM across the x86 MSI window: QEMU's own map names it
EOF
VFIO_IOVA_SYSFS=$w/smmu/sys "$T" plan --machine virt --ram 4G --assume-full-aperture >"$w/p.txt" 2>&1
check "plan: virt on an SMMU host (MSI window at 0x8000000): fits" \
	"[ $? = 0 ] && grep -q 'every IOMMU group of this host' $w/p.txt"
# A QEMU that lays RAM out somewhere else: the plan believes QEMU, not its model.
cat >"$w/fake-qemu" <<'SH'
#!/bin/sh
echo "$*" >>"${0%/*}/qemu-args"
cat >/dev/null
printf '%s\n' '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 99}}}}'
printf '%s\n' '{"return": "FlatView #0\r\n AS \"memory\", root: system\r\n  0000000000000000-000000007fffffff (prio 0, ram): vfio-iova-ram\r\n  0000000100000000-000000017fffffff (prio 0, ram): vfio-iova-ram @0000000080000000\r\n", "id": "flat"}'
printf '%s\n' '{"return": "", "id": "tree"}'
printf '%s\n' '{"return": 8589934592, "id": "h64s"}'
printf '%s\n' '{"return": 8589934592, "id": "h64e"}'
SH
chmod +x "$w/fake-qemu"
"$T" plan --ram 2G --qemu "$w/fake-qemu" --ranges "$w/low.json" >"$w/p.txt" 2>&1
check "plan: checks the map QEMU reports (a QEMU that ignores max-ram-below-4g: exit 1)" \
	"[ $? = 1 ] && grep -q 'as QEMU 99.0.0 lays it out' $w/p.txt &&
	 grep -q 'QEMU puts RAM at 0x0-0x7fffffff, into the hole 0x60000000-0x6fffffff' $w/p.txt &&
	 grep -q 'max-ram-below-4g=1536M,memory-backend=vfio-iova-ram .*reserve=off.* -S ' $w/qemu-args"
printf '#!/bin/sh\necho "qemu-system-x86_64: -m 4G: bad option" >&2\nexit 1\n' >"$w/bad-qemu"
chmod +x "$w/bad-qemu"
"$T" plan --ram 2G --qemu "$w/bad-qemu" --ranges "$w/m.json" >"$w/p.txt" 2>&1
check "plan: a QEMU that refuses: exit 2 with its message" \
	"[ $? = 2 ] && grep -q 'QEMU could not lay out the plan: .*bad-qemu failed: qemu-system-x86_64: -m 4G: bad option' $w/p.txt"
"$T" plan --ram 2G --qemu "$w/none" --ranges "$w/m.json" >"$w/p.txt" 2>&1
check "plan: no QEMU: exit 2, says so" "[ $? = 2 ] && grep -q 'cannot run .*none' $w/p.txt"
for bad in "plan --ranges $w/m.json:--ram SIZE is required" "plan --ram 1.5G:not a size" \
	"plan --ram 2G --slots 2:--slots belongs to --hotplug" "plan --ram 2G --machine isapc:not q35, pc or virt" \
	"plan --ram 2G --machine virt --pci64 8G:belong to the x86 machines" \
	"plan --ram 2G --pci64 1536M:not a multiple of 1 GiB" "plan --ram 2G --vendor via:amd or intel" \
	"check --ram 2G --memmap 0-1G:belong to plan" "plan --ram 2G --memmap 0-1G:--memmap belongs to check"; do
	"$T" ${bad%%:*} >"$w/p.txt" 2>&1
	check "plan: ${bad%%:*}: exit 2, '${bad#*:}'" "[ $? = 2 ] && grep -q -- '${bad#*:}' $w/p.txt"
done

# The man page and --help against the code: every option, environment
# variable and exit status is documented.
man=$TOP/tools/vfio-iova/vfio-iova.1
src=$TOP/tools/vfio-iova
opts=$(sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)", [a-z_]*_argument.*/\1/p' "$src/vfio-iova.c")
envs=$(grep -oh 'getenv("[A-Z_]*")' "$src"/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u)
codes=$(sed -n 's/^#define EXIT_[A-Z]* \([0-9]*\)$/\1/p' "$src/vfio-iova.c")
ver=$(sed -n 's/^#define VERSION "\(.*\)"$/\1/p' "$src/vfio-iova.c")
"$T" --help >"$w/help" 2>&1
check "--help: exit 0" "[ $? = 0 ] && grep -q '^usage: vfio-iova' $w/help"
"$T" --version >"$w/version" 2>&1
check "--version: exit 0, the version the man page names" \
	"[ $? = 0 ] && [ \"\$(cat $w/version)\" = 'vfio-iova $ver' ] && grep -q '\"vfio-iommu-iova $ver\"' $man"
missing=
for o in $opts; do
	grep -qF -- "\\-\\-${o//-/\\-}" "$man" || missing="$missing man:--$o"
	grep -q -- "--$o" "$w/help" || missing="$missing help:--$o"
done
for e in $envs; do grep -q "^\.B $e\$" "$man" || missing="$missing $e"; done
for c in 0 $codes; do
	sed -n '/^\.SH EXIT STATUS/,/^\.SH ENV/p' "$man" | grep -q "^\.B $c\$" || missing="$missing exit:$c"
done
check "man page: every option ($(echo $opts)), variable ($(echo $envs)), exit status" \
	"[ -z '$missing' ] && [ -n '$opts' ] && [ -n '$envs' ] && [ -n '$codes' ] || { echo '# missing:$missing'; false; }"
check "man page: the AMD-Vi aperture as the tool computes it (EFR HATS, IVRS VASize)" \
	"grep -q HATS $man && grep -q VASize $man"
