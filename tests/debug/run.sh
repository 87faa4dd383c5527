#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the guest suite and the fuzzer on a sanitizer kernel.
#
# Builds (once, cached outside the repository) a 6.1 kernel from Debian's
# linux-source-6.1 with KASAN, lockdep, DEBUG_LIST, debug objects and
# kmemleak (tests/debug/build-kernel.sh), builds our module and its
# fault-injection build against it, and boots it in the scenarios of
# DEBUG_SCENARIOS (default: intel48 amd): the whole differential suite,
# hot-unplug, fault injection and FUZZ_SECONDS (default 60) of fuzzing, then
# a kmemleak scan that must name none of our functions.  Any KASAN report,
# lockdep splat or WARN fails the scenario (panic_on_warn=1, and the end of
# every run looks for BUG:/WARNING: in the log).  Not part of make check:
# the first run builds the kernel (about an hour on 2 cores), and every
# boot runs several times slower than the Debian kernel's.
#
# Environment: DEBUG_SCENARIOS, FUZZ_SECONDS, VFIO_IOVA_NO_INSTALL=1.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/guest.sh"
cd "$TOP" || exit 1
OUT=$TOP/tests/out/debug
start=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT" "$TOP/.build/guest"
# Each line's kernel ABI, resolved once for the whole run (kernel_abi).
export VFIO_IOVA_ABI_CACHE=${VFIO_IOVA_ABI_CACHE:-$OUT/abi}

[ -n "${VFIO_IOVA_NO_INSTALL:-}" ] ||
	tests/install-deps.sh flex bison libelf-dev libssl-dev bc dwarves ||
	die "installing dependencies failed"
build_for_guests "$OUT" 6.1	# the guests run the debug kernel, built below
kver=$(tests/debug/build-kernel.sh) || die "no debug kernel"
kdir=$CACHE/debug-6.1
built=$(date +%s)

n=0 failed=0
{
	build_module "6.1 debug ($kver)" "$kver" "$kdir/root" "$TOP/.build/$kver" KDIR="$kdir/src"
	build_module "6.1 debug ($kver) with fault injection" "$kver" "$kdir/root" \
		"$TOP/.build/$kver-inject" KDIR="$kdir/src" VFIO_IOVA_FAULT_INJECT=1
} >"$OUT/build.tap"
cat "$OUT/build.tap"
[ "$failed" -eq 0 ] || die "our module did not build against the debug kernel"

export GUEST_ROOT=$kdir/root GUEST_ABI=$kver
initramfs_base "$kver" "$TOP/.build/$kver/vfio_iommu_iova.ko" "$OUT/base.cpio" ||
	die "no initramfs for the debug kernel"
secs=${FUZZ_SECONDS:-60}
# Without 5-level paging (QEMU's -cpu max has LA57): 6.1's identify_cpu()
# clears the boot CPU's capabilities for a moment, pgtable_l5_enabled()
# reads false then, and KASAN takes the 5-level direct map for a wild
# address; an interrupt in that window panics the guest at boot
# (docs/testing.md#the-sanitizer-kernel).
export GUEST_CPU=${GUEST_CPU:-max,la57=off}
layouts=${DEBUG_SCENARIOS:-intel48 amd}
echo "== check-debug: $kver, layouts: $layouts, fuzzing $secs s each"
for layout in $layouts; do
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
	VFIO_IOVA_BOOT_TIMEOUT=${DEBUG_BOOT_TIMEOUT:-7200} boot_scenario "debug-$layout" 6.1 \
		"$layout" "$OUT/base.cpio" "$OUT/$layout" "FUZZ_SECONDS=$secs SLOW=4" \
		>"$OUT/$layout.qemu.log" 2>&1 &
done
wait

passed=0 failed=0
for layout in $layouts; do
	f=$OUT/$layout/results.tap
	counts=$(judge "$f")
	ok=$?
	read -r p nf <<<"$counts"
	if [ $ok -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok - debug-$layout: $p tests, no KASAN, lockdep or kmemleak report"
	else
		failed=$((failed + 1))
		echo "not ok - debug-$layout: $p passed, $nf failed"
		grep -E '^not ok|^# fatal|BUG:|WARNING:|kmemleak' "$f" | head -n 40 | sed 's/^/#   /'
		tail -n 20 "$OUT/$layout/console.log" 2>/dev/null | sed 's/^/#   console: /'
	fi
	grep -h '^fuzz ' "$f" 2>/dev/null | sed 's/^/# /'
done
end=$(date +%s)
echo "# kernel build $((built - start)) s (0 when cached), guests $((end - built)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
