# SPDX-License-Identifier: GPL-2.0
# The harness must not read a crash, a hang, a failure or a difference as a
# pass: judge() on crafted guest outputs, and the differential comparator of
# vfio-tests (built with the sanitizers) on crafted result files.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/guest.sh"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT

printf 'TAP version 13\nok 1 - a\nok 2 - b\n1..2\nVFIO-IOVA-GUEST-DONE s tests=2 failed=0\n' >"$w/good"
check "judge: complete run passes" "judge $w/good >/dev/null"
head -n 4 "$w/good" >"$w/nomark"
check "judge: no marker (crash/hang) fails" "! judge $w/nomark >/dev/null"
sed 's/^ok 2/not ok 2/' "$w/good" >"$w/notok"
check "judge: a failed test fails" "! judge $w/notok >/dev/null"
sed 's/^1\.\.2/1..3/' "$w/good" >"$w/plan"
check "judge: plan mismatch fails" "! judge $w/plan >/dev/null"
: >"$w/empty"
check "judge: empty output fails" "! judge $w/empty >/dev/null"
check "judge: missing file fails" "! judge $w/missing >/dev/null"

gcc -O1 -g $SAN -o "$w/vt" "$TOP"/tests/guest/*.c || exit 1
cat >"$w/a" <<'R'
obs set-iommu-type1v2 set_iommu 0
case set-iommu-type1v2 ok -
obs set-iommu-type1 set_iommu 0
case set-iommu-type1 ok -
R
cp "$w/a" "$w/b"
check "compare: equal results pass" "$w/vt compare $w/a $w/b >$w/out"
sed 's/^obs set-iommu-type1 set_iommu 0/obs set-iommu-type1 set_iommu -22/' "$w/a" >"$w/c"
check "compare: a differing observation fails" "! $w/vt compare $w/a $w/c >$w/out && grep -q '^not ok 6 - diff: set-iommu-type1' $w/out"
echo "allow set-iommu-type1 set_iommu : -22" >"$w/allow"
check "compare: a documented difference passes" "$w/vt compare $w/a $w/c $w/allow >$w/out && grep -q 'documented difference' $w/out"
check "compare: a documented difference with ours' value reversed fails" "! $w/vt compare $w/c $w/a $w/allow >$w/out"
echo "allow set-iommu-type1 set_iommu 6.1 6.12 : -22" >"$w/allow-lines"
check "compare: a difference documented for the line passes" "$w/vt compare $w/a $w/c $w/allow-lines 6.12 >$w/out"
check "compare: a difference documented for other lines fails" "! $w/vt compare $w/a $w/c $w/allow-lines 7.x >$w/out"
sed 's/set_iommu -22/set_iommu -1/' "$w/c" >"$w/c2"
check "compare: a documented difference with another value of ours fails" "! $w/vt compare $w/a $w/c2 $w/allow >$w/out && grep -q 'but ours is -1, not -22' $w/out"
echo "allow set-iommu-type1 set_iommu" >"$w/allow-novalue"
check "compare: a documented difference that names no value of ours fails" "! $w/vt compare $w/a $w/c $w/allow-novalue >$w/out"
long=$(printf 'ab%.0s' $(seq 300))
{ cat "$w/a"; echo "obs set-iommu-type1 reply ${long}00"; } >"$w/long1"
{ cat "$w/a"; echo "obs set-iommu-type1 reply ${long}01"; } >"$w/long2"
check "compare: equal 600-character values pass" "$w/vt compare $w/long1 $w/long1 >$w/out"
check "compare: values that differ after 600 characters fail" "! $w/vt compare $w/long1 $w/long2 >$w/out"
printf 'obs set-iommu-type1 %s 0\n' "$(printf 'k%.0s' $(seq 80))" >"$w/longkey"
check "compare: a key too long to keep whole stops the comparison" "$w/vt compare $w/longkey $w/longkey >$w/out 2>&1; [ \$? = 2 ]"
grep -v 'obs set-iommu-type1 set_iommu' "$w/a" >"$w/d"
check "compare: a missing observation fails" "! $w/vt compare $w/a $w/d >$w/out"
{ cat "$w/a"; echo "obs ours-x k 1"; echo "case ours-x ok -"; } >"$w/ours"
check "compare: an ours-only case that records instead of asserting fails" "! $w/vt compare $w/a $w/ours >$w/out && grep -q 'records observations of ours only' $w/out"
printf 'obs two-groups k 1\ncase two-groups ok -\n' >"$w/twin-stock"
printf 'obs two-groups k 1\ncase two-groups ok -\nobs ours-two-domains k 1\ncase ours-two-domains ok -\n' >"$w/twin-ours"
check "compare: an ours-only twin that answers as stock's case passes" "$w/vt compare $w/twin-stock $w/twin-ours >$w/out"
sed 's/^obs ours-two-domains k 1/obs ours-two-domains k 2/' "$w/twin-ours" >"$w/twin-bad"
check "compare: an ours-only twin that answers otherwise fails" "! $w/vt compare $w/twin-stock $w/twin-bad >$w/out && grep -q 'not ok .* ours-two-domains as stock' $w/out"
grep -v '^case set-iommu-type1v2' "$w/a" >"$w/e"
check "compare: a case that never reported fails" "! $w/vt compare $w/a $w/e >$w/out && grep -q 'did not report' $w/out"
sed 's/^case set-iommu-type1 ok -/case set-iommu-type1 fail broken/' "$w/a" >"$w/f"
check "compare: a failed assertion fails" "! $w/vt compare $w/f $w/a >$w/out && grep -q '^not ok 4 - stock: set-iommu-type1' $w/out"

# A scenario whose results lack a case or a step fails, even with a good
# plan and marker (expect_results, tests/guest/expected).
mkdir -p "$TOP/.build/guest"
cp "$w/vt" "$w/vt-list"
lists=$("$w/vt-list" list-cases)
{
	echo "$lists" | while read -r name what; do
		[ "$what" = both ] && echo "res stock case $name ok -"
		echo "res iova case $name ok -"
	done
	grep -v '^#' "$TOP/tests/guest/expected" | sed 's/^all //' | awk '$1 == "case" { split($4, b, ","); for (i in b) print "res " b[i] " case " $3 " ok -" }
		$1 == "obs" { split($6, b, ","); for (i in b) print "res " b[i] " obs " $3 " " $4 " " $5 }'
	sed -n 's/^\(all \)\?tap [^ ]* \^//p' "$TOP/tests/guest/expected" | sed 's/\\//g; s/\$$//; s/^/ok 1 - /'
} >"$w/complete.tap"
expect_in() { (TOP=$w/top; mkdir -p "$TOP/.build/guest" "$TOP/tests/guest";
	cp "$w/vt-list" "$TOP/.build/guest/vfio-tests"; cp "$OLDTOP/tests/guest/expected" "$TOP/tests/guest/";
	expect_results "$@"); }
OLDTOP=$TOP
check "expect_results: complete results pass" "[ -z \"\$(expect_in $w/complete.tap amd)\" ]"
grep -v '^res stock case get-info ' "$w/complete.tap" >"$w/nocase.tap"
check "expect_results: a case missing under one backend fails" "expect_in $w/nocase.tap amd | grep -q 'case get-info under stock'"
grep -v 'fault injection' "$w/complete.tap" >"$w/nostep.tap"
check "expect_results: a step that never reported fails" "expect_in $w/nostep.tap amd | grep -q 'fault injection'"
grep -v 'dpdk-testpmd' "$w/complete.tap" >"$w/nodpdk.tap"
check "expect_results: a client missing where the layout runs it fails" "expect_in $w/nodpdk.tap amd | grep -q dpdk-testpmd"
check "expect_results: ... and passes where the layout does not run it" "[ -z \"\$(expect_in $w/nodpdk.tap intel39 | grep dpdk)\" ]"
# A scenario that runs its layout's steps only (STEPS=layout) need not
# report DPDK, the fault tests, the unplug race, injection or the fuzzer,
# and must report everything else.
grep -v -E 'dpdk-testpmd|faults \(|unplug race|fault injection|fuzz' "$w/complete.tap" >"$w/layout.tap"
check "expect_results: the layout's steps only: complete without the other steps" \
	"[ -z \"\$(expect_in $w/layout.tap amd layout)\" ]"
check "expect_results: ... which a scenario of every step must report" \
	"[ \"\$(expect_in $w/layout.tap amd | wc -l)\" -eq 16 ]"
grep -v 'hotunplug' "$w/layout.tap" >"$w/layout-nohp.tap"
check "expect_results: the layout's steps only: hot-unplug missing fails" \
	"expect_in $w/layout-nohp.tap amd layout | grep -q 'case hotunplug under stock'"
grep -v '^res iova obs unsafe-interrupts set_iommu_without_unsafe 0$' "$w/complete.tap" >"$w/noobs.tap"
check "expect_results: an observation other than the layout's fails" \
	"expect_in $w/noobs.tap amd | grep -q 'obs unsafe-interrupts set_iommu_without_unsafe 0 under iova'"

# A build that fails leaves no module of an earlier build behind to boot.
n=0 failed=0
mkdir -p "$w/old-build"
touch "$w/old-build/vfio_iommu_iova.ko"
build_module "a kernel that does not exist" no-such-kernel /nonexistent "$w/old-build" >"$w/build.out" 2>&1
check "build_module: a failed build reports not ok" "grep -q '^not ok' $w/build.out"
check "build_module: a failed build leaves no older module" "[ ! -e $w/old-build/vfio_iommu_iova.ko ]"

# A line's ABI is resolved once per run: the package lists can change in
# the middle of one (a background apt-get update, a Debian kernel published
# meanwhile), and the guests must boot the kernel the matrix built for.
echo 1 >"$w/abi-n"
abi_sources() {	# what line_apt would answer: the next ABI each time
	local n
	n=$(cat "$w/abi-n")
	echo $((n + 1)) >"$w/abi-n"
	echo "  Depends: linux-image-9.9.$n-amd64"
}
check "kernel_abi: without a run, the archive's answer each time" \
	"(unset VFIO_IOVA_ABI_CACHE; line_apt() { abi_sources; }; a=\$(kernel_abi 6.1); b=\$(kernel_abi 6.1); [ \"\$a\" != \"\$b\" ])"
check "kernel_abi: within a run, the first answer stays" \
	"(export VFIO_IOVA_ABI_CACHE=$w/abi; line_apt() { abi_sources; }; a=\$(kernel_abi 6.1); b=\$(kernel_abi 6.1); c=\$(kernel_abi 6.12); [ \"\$a\" = \"\$b\" ] && [ \"\$c\" != \"\$a\" ])"

# A line's initramfs is built afresh each run: one left by an earlier run
# would boot that run's module where this run built none.
mkdir -p "$w/top/.build/guest" "$w/stale-abi"
echo 9.9.9-stale >"$w/stale-abi/6.1"
: >"$w/top/.build/guest/base-9.9.9-stale.cpio"
check "line_initramfs: a line whose module was not built keeps no initramfs of an earlier run" \
	"! (TOP=$w/top VFIO_IOVA_ABI_CACHE=$w/stale-abi line_initramfs 6.1) 2>$w/err >$w/out && grep -q 'was not built' $w/err && [ ! -e $w/top/.build/guest/base-9.9.9-stale.cpio ] && [ ! -s $w/out ]"
