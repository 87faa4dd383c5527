#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: boot every guest scenario of tests/scenarios.conf with
# MODE=fuzz and run only the fuzzer (tests/guest/fuzz.c) against our
# backend, FUZZ_SECONDS each (default 120), then the checks that end every
# guest run: no leaked pin, the module refuses rmmod while a container
# exists and unloads after, no WARN (the guests run with panic_on_warn=1)
# or oops in the kernel log.  make check runs the same fuzzer for 20 s in
# each scenario.
#
# Environment: FUZZ_SECONDS, FUZZ_SEED (default: the time), VFIO_IOVA_SCENARIOS
# (space-separated subset), VFIO_IOVA_NO_INSTALL=1.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/guest.sh"
cd "$TOP" || exit 1
OUT=$TOP/tests/out/fuzz
secs=${FUZZ_SECONDS:-120}
seed=${FUZZ_SEED:-$(date +%s)}
rm -rf "$OUT"
mkdir -p "$OUT" "$TOP/.build/guest"
# Each line's kernel ABI, resolved once for the whole run (kernel_abi).
export VFIO_IOVA_ABI_CACHE=${VFIO_IOVA_ABI_CACHE:-$OUT/abi}

[ -n "${VFIO_IOVA_NO_INSTALL:-}" ] || tests/install-deps.sh || die "installing dependencies failed"
build_for_guests "$OUT"

declare -A base
rows=()
while read -r name line layout _; do
	case "${VFIO_IOVA_SCENARIOS:-}" in "" | *"$name"*) ;; *) continue ;; esac
	rows+=("$name $line $layout")
	[ -n "${base[$line]:-}" ] && continue
	base[$line]=$(line_initramfs "$line") || die "no initramfs for $line"
done < <(grep -v '^#' tests/scenarios.conf | awk 'NF')

echo "== fuzz: ${#rows[@]} scenarios, $secs s each, seed $seed"
for row in "${rows[@]}"; do
	read -r name line layout <<<"$row"
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
	VFIO_IOVA_BOOT_TIMEOUT=$((secs + 400)) boot_scenario "fuzz-$name" "$line" "$layout" \
		"${base[$line]}" "$OUT/$name" "MODE=fuzz
FUZZ_SECONDS=$secs
FUZZ_SEED=$seed" >"$OUT/$name.qemu.log" 2>&1 &
done
wait

passed=0 failed=0 ioctls=0
for row in "${rows[@]}"; do
	read -r name line layout <<<"$row"
	f=$OUT/$name/results.tap
	counts=$(judge "$f")
	ok=$?
	read -r p nf <<<"$counts"
	n=$(sed -n 's/^fuzz .* ioctls=\([0-9]*\) .*/\1/p' "$f" 2>/dev/null)
	ioctls=$((ioctls + ${n:-0}))
	if [ $ok -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok - $name: ${n:-0} ioctls, $p checks"
	else
		failed=$((failed + 1))
		echo "not ok - $name: $p ok, $nf not ok$(grep -q '^VFIO-IOVA-GUEST-DONE' "$f" 2>/dev/null || echo ', no completion marker (crash or hang)')"
		grep -E '^not ok|^# fuzz|fatal' "$f" 2>/dev/null | sed 's/^/#   /'
		tail -n 20 "$OUT/$name/console.log" 2>/dev/null | sed 's/^/#   console: /'
	fi
done
echo "# fuzz: $ioctls ioctls in total, seed $seed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
