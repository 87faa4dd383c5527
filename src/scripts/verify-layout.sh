#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# verify-layout.sh KVER OUT [ROOT]
# verify-layout.sh --check KVER [ROOT]
#
# Verify that the target kernel's private VFIO interface (struct
# vfio_iommu_driver_ops and the enums its callbacks take) has a layout this
# module was written for, and write OUT, a header naming the verified layout.
#
# The kernel's own description of the types is read from the BTF of its
# vfio.ko (split BTF on top of the BTF of its vmlinux, which is unpacked from
# vmlinuz), rendered with pahole and compared with the fingerprints under
# include/compat/layouts/.  ROOT is where the kernel image is installed or
# extracted (default /): ROOT/boot/vmlinuz-KVER and ROOT/lib/modules/KVER.
#
# Exit status 0 and OUT written on success; otherwise a message that names
# the kernel and what to do, exit status 1 and OUT removed.  With --check
# (used by dkms.conf to skip such a kernel) nothing is written, and a refusal
# is one line on stderr.

set -u
CHECK=
if [ "${1:-}" = --check ]; then
	CHECK=1
	shift
	set -- "$1" /dev/null "${2:-/}"
fi
KVER=$1
OUT=$2
ROOT=${3:-/}
ROOT=${ROOT%/}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
LAYOUTS=$HERE/include/compat/layouts
export LC_ALL=C

refuse() {
	if [ -n "$CHECK" ]; then
		echo "$*" | head -n1 >&2
		exit 1
	fi
	rm -f "$OUT"
	{
		echo "vfio-iommu-iova: refusing to build for kernel $KVER:"
		echo "  $*"
		echo "  The module copies struct vfio_iommu_driver_ops from the kernel's"
		echo "  private drivers/vfio/vfio.h; a wrong copy crashes at run time, so"
		echo "  only layouts verified against the kernel's BTF are built."
		echo "  To fix: install linux-image-$KVER (its vmlinuz and vfio.ko carry"
		echo "  the BTF), or pass KROOT=<dir with boot/ and lib/modules/>; if the"
		echo "  layout really is new, add a fingerprint under include/compat/layouts/"
		echo "  with the matching struct in include/compat/vfio_private.h."
	} >&2
	exit 1
}

command -v pahole >/dev/null 2>&1 || refuse "pahole is not installed (apt install dwarves)"

vmlinuz=$ROOT/boot/vmlinuz-$KVER
moddir=$ROOT/lib/modules/$KVER
[ -r "$vmlinuz" ] || vmlinuz=$ROOT/usr/lib/modules/$KVER/vmlinuz
[ -d "$moddir" ] || moddir=$ROOT/usr/lib/modules/$KVER
[ -r "$vmlinuz" ] || refuse "no readable kernel image $ROOT/boot/vmlinuz-$KVER"

vfio=
for f in "$moddir"/kernel/drivers/vfio/vfio.ko "$moddir"/kernel/drivers/vfio/vfio.ko.xz \
	"$moddir"/kernel/drivers/vfio/vfio.ko.zst; do
	[ -r "$f" ] && vfio=$f && break
done
[ -n "$vfio" ] || refuse "no vfio.ko under $moddir (is CONFIG_VFIO=m?)"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

case $vfio in
*.xz) xz -dc "$vfio" >"$tmp/vfio.ko" ;;
*.zst) zstd -qdc "$vfio" >"$tmp/vfio.ko" ;;
*) cp "$vfio" "$tmp/vfio.ko" ;;
esac || refuse "cannot decompress $vfio"

# The kernel's own BTF (the base of vfio.ko's split BTF), into $tmp/base.
# x86's vmlinuz is a boot stub followed by the compressed vmlinux ELF, which
# keeps its .BTF section.  arm64's is the bare Image (raw or compressed),
# which holds the BTF blob without any ELF around it: find the blob by its
# header (magic 0xeb9f, version 1, 24-byte header) and its lengths.

# raw_btf FILE: the largest well-formed BTF blob in FILE, into $tmp/base.
raw_btf() {
	best=0 boff=
	for off in $(grep -aboP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$1" | cut -d: -f1); do
		# shellcheck disable=SC2046
		set -- "$1" $(od -An -tu4 --endian=little -j $((off + 8)) -N 16 "$1")
		# type_off type_len str_off str_len: types first, then strings.
		[ $# -eq 5 ] && [ "$2" -eq 0 ] && [ "$4" -ge "$3" ] || continue
		size=$((24 + $4 + $5))
		[ "$size" -le "$best" ] || { best=$size; boff=$off; }
	done
	[ -n "$boff" ] || return 1
	tail -c +$((boff + 1)) "$1" | head -c "$best" >"$tmp/base"
	[ "$(wc -c <"$tmp/base")" -eq "$best" ]
}

# is_elf FILE
is_elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; }

# kernel_btf: from vmlinuz itself or from each compressed stream in it.
kernel_btf() {
	raw_btf "$vmlinuz" && return 0
	for magic in '\x28\xb5\x2f\xfd:zstd -qdc' '\xfd\x37\x7a\x58\x5a\x00:xz -qdc --single-stream' \
		'\x1f\x8b\x08:gzip -qdc' '\x02\x21\x4c\x18:lz4 -qdc'; do
		pat=${magic%%:*}
		cmd=${magic#*:}
		for off in $(grep -aboP "$pat" "$vmlinuz" | cut -d: -f1 | head -n 4); do
			tail -c +$((off + 1)) "$vmlinuz" | $cmd >"$tmp/vmlinux" 2>/dev/null
			if is_elf "$tmp/vmlinux"; then
				mv "$tmp/vmlinux" "$tmp/base"
				return 0
			fi
			raw_btf "$tmp/vmlinux" && return 0
		done
	done
	return 1
}
kernel_btf || refuse "cannot find the kernel's BTF in $vmlinuz"

# Render the types and normalise: no cacheline remarks, single spaces.
# pahole counts cachelines with this machine's line size unless told: 64
# bytes, as the fingerprints were rendered, wherever DKMS runs.
pahole -F btf --btf_base "$tmp/base" --cacheline_size=64 \
	-C vfio_iommu_driver_ops,vfio_group_type,vfio_iommu_notify_type \
	"$tmp/vfio.ko" >"$tmp/raw" 2>"$tmp/err"
grep -q 'struct vfio_iommu_driver_ops {' "$tmp/raw" ||
	refuse "no struct vfio_iommu_driver_ops in the BTF of $vfio: $(head -n1 "$tmp/err")"
sed -e '/^[[:space:]]*\/\* --- cacheline/d' -e '/last cacheline/d' -e 's/[[:space:]]\{1,\}/ /g' -e 's/^ //' -e 's/ $//' \
	-e '/^$/d' "$tmp/raw" >"$tmp/seen"

for fp in "$LAYOUTS"/*.layout; do
	sed -e '/^#/d' "$fp" | cmp -s - "$tmp/seen" || continue
	name=$(basename "$fp" .layout)
	[ -z "$CHECK" ] || exit 0
	size=$(sed -n 's/^\/\* size: \([0-9]*\),.*/\1/p' "$tmp/seen" | head -n1)
	{
		echo "/* Generated by src/scripts/verify-layout.sh: do not edit. */"
		echo "#define VFIO_IOVA_LAYOUT_KERNEL \"$KVER\""
		echo "#define VFIO_IOVA_LAYOUT_NAME \"$name\""
		echo "#define VFIO_IOVA_LAYOUT_METHOD \"btf\""
		echo "#define VFIO_IOVA_OPS_SIZE $size"
		sed -n 's/^# define: /#define /p' "$fp"
		printf '#define VFIO_IOVA_OPS_OFFSETS(X)'
		awk '/^struct vfio_iommu_driver_ops \{/ { on = 1; next }
		     on && /^\};/ { exit }
		     on && /;.*\/\* [0-9]+ [0-9]+ \*\// {
			m = $0; sub(/;.*/, "", m)
			if (m ~ /\(\*[a-z_0-9]+\)\(/) { sub(/^[^(]*\(\*/, "", m); sub(/\).*/, "", m) }
			else { sub(/.*[ *]/, "", m) }
			off = $0; sub(/.*\/\* /, "", off); sub(/ .*/, "", off)
			printf "%s \\\n\tX(%s, %s)", sep, m, off; sep = ";" }' "$tmp/seen"
		echo
	} >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
	echo "vfio-iommu-iova: kernel $KVER: private layout '$name' verified from BTF"
	exit 0
done

[ -n "$CHECK" ] || cp "$tmp/seen" "${OUT}.unverified"
refuse "its struct vfio_iommu_driver_ops (BTF of $vfio) matches no verified layout;
  what the kernel has was written to ${OUT}.unverified"
