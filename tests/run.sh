#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: install what is needed, build for every kernel line (W=1,
# C=2), checkpatch, host unit tests, then boot every guest scenario of
# tests/scenarios.conf with QEMU and run the differential guest tests, plus
# two self-checks of the harness (a deliberately broken test and a guest
# that crashes must both be reported as failures), and last the DKMS and
# Debian package test (tests/dkms/run.sh).  Ends with a summary
# table and the line "N passed, N failed".
#
# Environment: VFIO_IOVA_CACHE (downloads, default /var/cache/vfio-iommu-iova),
# VFIO_IOVA_NO_INSTALL=1 (skip apt), VFIO_IOVA_JOBS (parallel boots, default
# the number of CPUs), VFIO_IOVA_SCENARIOS (space-separated subset).
set -u
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/lib/guest.sh"
cd "$TOP" || exit 1
OUT=$TOP/tests/out
rm -rf "$OUT"
mkdir -p "$OUT" "$TOP/.build/guest"
# Each line's kernel ABI, resolved once for the whole run (kernel_abi).
export VFIO_IOVA_ABI_CACHE=${VFIO_IOVA_ABI_CACHE:-$OUT/abi}
passed=0
failed=0
summary=()

result() {	# result ok|fail NAME DETAIL
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	summary+=("$(printf '%-28s %-5s %s' "$2" "$1" "$3")")
}

# Count the TAP lines of a step's output into the totals.
tap_step() {	# tap_step NAME LOGFILE
	local l
	while IFS= read -r l; do
		case $l in
		"ok "*) passed=$((passed + 1)) ;;
		"not ok "*) failed=$((failed + 1)); echo "$1: $l" ;;
		esac
	done <"$2"
}

start=$(date +%s)
phase() { echo "== $* (at $(($(date +%s) - start)) s)"; }	# where the time goes
if [ -z "${VFIO_IOVA_NO_INSTALL:-}" ]; then
	phase "install (tests/install-deps.sh)"
	tests/install-deps.sh || die "installing dependencies failed"
fi

# The other architectures' clients' roots (downloads, a minute on a fresh
# machine) are made while the matrix builds; the guest phase waits for
# them.
declare -A client_pid
for arch in $(kernel_archs); do
	[ "$arch" != "$HOST_ARCH" ] || continue
	echo "(making the $arch clients' root in the background: $OUT/client-root-$arch.log)"
	client_root_ensure "$arch" >"$OUT/client-root-$arch.log" 2>&1 &
	client_pid[$arch]=$!
done

phase "build matrix (W=1 C=2)"
tests/matrix.sh >"$OUT/matrix.tap" 2>&1
matrix_rc=$?
cat "$OUT/matrix.tap"
tap_step matrix "$OUT/matrix.tap"
# A build that stopped before its TAP line (no build root, no kernel)
# leaves no "not ok": its exit status is what counts.
matrix_res=ok
if [ "$matrix_rc" -ne 0 ] || grep -q '^not ok' "$OUT/matrix.tap"; then
	matrix_res=fail
	grep -q '^not ok' "$OUT/matrix.tap" || failed=$((failed + 1))
fi
summary+=("$(printf '%-28s %-5s %s' "build matrix" "$matrix_res" "$(grep -c '^ok' "$OUT/matrix.tap") builds: each kernel line, shipped and with fault injection; exit status $matrix_rc")")

# The newer QEMU client goes into its root (made by the matrix, for the
# 7.x line) while checkpatch and the host tests run.
newqemu_ensure >"$OUT/newqemu.log" 2>&1 &
newqemu_pid=$!

phase "checkpatch --strict"
if tests/style.sh >"$OUT/style.log" 2>&1; then
	result ok checkpatch "$(tail -n1 "$OUT/style.log")"
else
	cat "$OUT/style.log"
	result fail checkpatch "see tests/out/style.log"
fi

phase "host unit tests (ASan/UBSan)"
tests/host/run.sh >"$OUT/host.tap" 2>&1
grep -E '^(not ok|# host)' "$OUT/host.tap"
tap_step host "$OUT/host.tap"
summary+=("$(printf '%-28s %-5s %s' "host unit tests" "$(grep -q '^not ok' "$OUT/host.tap" && echo fail || echo ok)" "$(tail -n1 "$OUT/host.tap" | sed 's/^# host: //')")")

phase "a newer QEMU, as a client that reads the IOVA ranges ($NEWQEMU_SUITE root)"
if wait "$newqemu_pid"; then
	result ok "newer QEMU" "$(root_run "$NEWQEMU_SUITE" qemu-system-x86_64 --version | head -n1)"
else
	cat "$OUT/newqemu.log"
	result fail "newer QEMU" "cannot install qemu-system-x86 in the $NEWQEMU_SUITE root"
fi

for arch in "${!client_pid[@]}"; do
	phase "the $arch guests' clients (QEMU, DPDK): a root of $arch programs"
	# Its QEMU must run (here under qemu-user): the root is complete.
	if wait "${client_pid[$arch]}" && binfmt_enable "$arch" &&
		v=$(chroot "$(client_root "$arch")" "qemu-system-$(qemu_arch "$arch")" --version); then
		result ok "$arch client root" "$(echo "$v" | head -n1)"
	else
		cat "$OUT/client-root-$arch.log"
		result fail "$arch client root" "see $OUT/client-root-$arch.log"
	fi
done

phase "guest scenarios"
make -s tool || die "cannot build the vfio-iova tool"
for arch in $(kernel_archs); do
	build_guest_tools "$arch" || die "cannot build the guests' programs for $arch"
done
declare -A base
for line in $(kernel_lines); do
	base[$line]=$(line_initramfs "$line") || base[$line]=
done

# Scenario rows: name line layout steps extra-env expected(pass|fail:REGEX|crash);
# steps is "all" or "layout" (tests/guest/init's STEPS), extra-env is
# VAR=VALUE settings separated by ';'.  make check boots the
# rows of tests/scenarios.conf marked "check", and those marked "layout"
# with the steps that depend on the IOMMU layout only; make check-all
# (VFIO_IOVA_ALL=1) every row, with every step.
rows=()
while read -r name line layout set env; do
	case "${VFIO_IOVA_SCENARIOS:-}" in "" | *"$name"*) ;; *) continue ;; esac
	case $set in check | layout | all) ;; *) die "tests/scenarios.conf: $name: unknown run '$set'" ;; esac
	[ "$set" != all ] || [ -n "${VFIO_IOVA_ALL:-}" ] || [ -n "${VFIO_IOVA_SCENARIOS:-}" ] ||
		continue
	# A "layout" row: make check runs the steps that depend on the layout.
	steps=all
	[ "$set" != layout ] || [ -n "${VFIO_IOVA_ALL:-}" ] || steps=layout
	rows+=("$name $line $layout $steps ${env:--} pass")
done < <(grep -v '^#' tests/scenarios.conf | awk 'NF')
first=$(grep -v '^#' tests/scenarios.conf | awk 'NF { print $1, $2, $3; exit }')
read -r fname fline flayout <<<"$first"
# The harness's self-checks: one case through the same guest, comparison
# and judge as the scenarios (SELFCHECK=1 in tests/guest/init).
rows+=("selfcheck-broken-test $fline $flayout all BREAK=set-iommu-type1v2;SELFCHECK=1 fail:^not.ok.*iova:.set-iommu-type1v2")
rows+=("selfcheck-guest-crash $fline $flayout all CRASH=1;SELFCHECK=1 crash")

run_row() {	# run_row "name line layout steps extra expect"
	local name line layout steps extra expect dir
	read -r name line layout steps extra expect <<<"$1"
	[ "$extra" = - ] && extra=
	extra="STEPS=$steps${extra:+;$extra}"
	dir=$OUT/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "$expect" >"$dir/expect"
	if [ ! -e "${base[$line]}" ]; then
		echo "no initramfs for kernel line $line" >"$dir/error"
		return
	fi
	boot_scenario "$name" "$line" "$layout" "${base[$line]}" "$dir" "$extra" >"$dir/qemu.log" 2>&1
	echo $? >"$dir/qemu.rc"
}

jobs=${VFIO_IOVA_JOBS:-$(nproc)}
for row in "${rows[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	run_row "$row" &
done
wait

for row in "${rows[@]}"; do
	read -r name line layout steps extra expect <<<"$row"
	dir=$OUT/$name
	counts=$(judge "$dir/results.tap")
	judged=$?
	read -r ok notok <<<"$counts"
	layout_seen=$(sed -n 's/^layout [^ ]* group=[0-9]* dev=[^ ]* //p' "$dir/results.tap" 2>/dev/null |
		awk '{ printf "%s%s-%s %s", sep, $1, $2, $3; sep = "; " }')
	marker=$(grep -c '^VFIO-IOVA-GUEST-DONE' "$dir/results.tap" 2>/dev/null)
	missing=
	[ "$expect" != pass ] || missing=$(expect_results "$dir/results.tap" "$layout" "$steps")
	case $expect in
	pass)
		if [ "$judged" -eq 0 ] && [ -z "$missing" ]; then
			result ok "$name" "$ok/$((ok + notok)) tests$([ "$steps" = all ] || echo ", the layout's steps"); layout: ${layout_seen:-?}"
		else
			why="$ok ok, $notok not ok"
			[ "${marker:-0}" -gt 0 ] || why="$why, no completion marker (crash, hang or timeout; qemu rc $(cat "$dir/qemu.rc" 2>/dev/null))"
			[ -z "$missing" ] || why="$why, $(echo "$missing" | wc -l) results missing"
			[ ! -e "$dir/error" ] || why=$(cat "$dir/error")
			result fail "$name" "$why"
			[ -z "$missing" ] || echo "$missing" | sed "s/^/--- $name: missing: /"
			echo "--- $name: results"; grep -v '^ok ' "$dir/results.tap" 2>/dev/null | head -n 60
			echo "--- $name: console (tail)"; tail -n 40 "$dir/console.log" 2>/dev/null
		fi ;;
	fail:*)
		# The broken case must show, and the guest's own self-checks
		# (a sabotaged fuzzer and injection test) must have passed.
		if [ "$judged" -ne 0 ] && [ "${marker:-0}" -gt 0 ] && grep -Eq "${expect#fail:}" "$dir/results.tap" &&
			[ "$(grep -c '^ok [0-9]* - self-check: ' "$dir/results.tap")" -eq 2 ] &&
			! grep -q '^not ok [0-9]* - self-check: ' "$dir/results.tap"; then
			result ok "$name" "broken test, sabotaged fuzzer and injection test reported as failures"
		else
			result fail "$name" "a deliberately broken test was not reported"
		fi ;;
	crash)
		if [ "$judged" -ne 0 ] && [ "${marker:-0}" -eq 0 ] && grep -q 'Kernel panic\|sysrq' "$dir/console.log"; then
			result ok "$name" "guest crash reported as failure"
		else
			result fail "$name" "a guest crash was not reported as failure"
		fi ;;
	esac
done

# vfio-iova merge of what the tool saw in two guests with different IOMMU
# layouts (their "hostjson" lines) against a trivial model of intersection.
hosts=()
for row in "${rows[@]}"; do
	read -r name _ <<<"$row"
	f=$OUT/$name/host.json
	sed -n 's/^hostjson //p' "$OUT/$name/results.tap" 2>/dev/null >"$f"
	[ -s "$f" ] && [ "${#hosts[@]}" -lt 4 ] && hosts+=("$f")
done
if [ "${#hosts[@]}" -ge 2 ]; then
	phase "vfio-iova merge of ${#hosts[@]} guests' host --json"
	if .build/tools/vfio-iova --json merge "${hosts[@]}" >"$OUT/merged.json" 2>"$OUT/merge.err" &&
		tests/merge-check.py "$OUT/merged.json" "${hosts[@]}" >"$OUT/merge.log" 2>&1; then
		result ok "vfio-iova merge" "$(cat "$OUT/merge.log")"
	else
		cat "$OUT/merge.err" "$OUT/merge.log"
		result fail "vfio-iova merge" "see tests/out/merge.log"
	fi
elif [ "$((${#rows[@]} - 2))" -ge 2 ]; then	# two scenarios or more booted
	result fail "vfio-iova merge" "fewer than two guests wrote their host --json"
fi

# Last, as it installs and removes kernels and our package on this machine.
phase "DKMS and the Debian package, end to end (tests/dkms/run.sh)"
OUT=$OUT/dkms tests/dkms/run.sh >"$OUT/dkms.tap" 2>&1
grep -E '^(not ok|# order)' "$OUT/dkms.tap"
tap_step dkms "$OUT/dkms.tap"
dkms_res=ok
grep -q '^not ok' "$OUT/dkms.tap" && dkms_res=fail
if ! grep -q '^1\.\.' "$OUT/dkms.tap"; then	# it stopped before its end
	failed=$((failed + 1))
	dkms_res=fail
	tail -n 20 "$OUT/dkms.tap"
fi
summary+=("$(printf '%-28s %-5s %s' "dkms end to end" "$dkms_res" "$(grep -c '^ok' "$OUT/dkms.tap") ok, $(grep -c '^not ok' "$OUT/dkms.tap") not ok: $(grep -c '^# order' "$OUT/dkms.tap") upgrade order(s)")")

echo
echo "== summary ($(($(date +%s) - start)) s)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
