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
echo "allow set-iommu-type1 set_iommu" >"$w/allow"
check "compare: a documented difference passes" "$w/vt compare $w/a $w/c $w/allow >$w/out && grep -q 'documented difference' $w/out"
grep -v 'obs set-iommu-type1 set_iommu' "$w/a" >"$w/d"
check "compare: a missing observation fails" "! $w/vt compare $w/a $w/d >$w/out"
grep -v '^case set-iommu-type1v2' "$w/a" >"$w/e"
check "compare: a case that never reported fails" "! $w/vt compare $w/a $w/e >$w/out && grep -q 'did not report' $w/out"
sed 's/^case set-iommu-type1 ok -/case set-iommu-type1 fail broken/' "$w/a" >"$w/f"
check "compare: a failed assertion fails" "! $w/vt compare $w/f $w/a >$w/out && grep -q '^not ok 4 - stock: set-iommu-type1' $w/out"
