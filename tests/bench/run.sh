#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the stock vfio_iommu_type1 and ours side by side.  Boots each
# kernel line with intel-iommu (caching mode: the virtualised IOMMU) and
# with AMD-Vi; in each boot, every workload of `vfio-tests bench` runs
# against the stock backend and ours alternately, ROUNDS times (default 5),
# with mlock of the same 1 GiB as the no-IOMMU baseline.  Prints the median
# per workload and backend and the ratio ours/stock (below 1: ours is
# faster), and writes tests/out/bench/results.txt, results.dat and, with
# gnuplot, results.png.  No time is judged: a failed run is an error, a slow
# one is a figure.
#
# Environment: BENCH_ROUNDS, BENCH_BOOTS ("line layout" pairs, comma
# separated), VFIO_IOVA_NO_INSTALL=1.  BENCH_PROFILE=WORKLOAD instead runs
# that workload once per backend under the function_graph tracer and writes
# the time per kernel function, both backends side by side, to
# tests/out/bench/profile-BOOT.txt.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/guest.sh"
cd "$TOP" || exit 1
OUT=$TOP/tests/out/bench
rounds=${BENCH_ROUNDS:-5}
rm -rf "$OUT"
mkdir -p "$OUT" "$TOP/.build/guest"

if [ -z "${VFIO_IOVA_NO_INSTALL:-}" ]; then
	tests/install-deps.sh || die "installing dependencies failed"
	command -v gnuplot >/dev/null || apt-get install -y -q --no-install-recommends gnuplot-nox \
		>"$OUT/apt.log" 2>&1 || echo "gnuplot-nox not installed: no plot"
fi
build_for_guests "$OUT"

IFS=, read -r -a boots <<<"${BENCH_BOOTS:-6.1 intel48,6.1 amd,6.12 intel48,6.12 amd}"
declare -A base
for b in "${boots[@]}"; do
	read -r line layout <<<"$b"
	[ -n "${base[$line]:-}" ] && continue
	abi=$(kernel_abi "$line") || exit 1
	base[$line]=$TOP/.build/guest/base-$abi.cpio
	initramfs_base "$abi" "$TOP/.build/$abi/vfio_iommu_iova.ko" "${base[$line]}" ||
		die "no initramfs for $line"
done

echo "== $((${#boots[@]})) boots, $rounds rounds each: $(date -u '+%F %H:%M UTC'), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for b in "${boots[@]}"; do
	read -r line layout <<<"$b"
	name=bench-$line-$layout
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
	VFIO_IOVA_BOOT_TIMEOUT=1200 boot_scenario "$name" "$line" "$layout" "${base[$line]}" \
		"$OUT/$name" "MODE=bench
ROUNDS=$rounds
PROFILE=${BENCH_PROFILE:-}" >"$OUT/$name.qemu.log" 2>&1 &
done
wait

# Did the boot whose results are in $1 run every workload?  Says why not.
boot_done() {
	grep -q '^VFIO-IOVA-BENCH-DONE' "$1" 2>/dev/null && ! grep -q '^bench-error' "$1" && return
	echo "bench-$line-$layout: failed: $(grep -m3 'bench-error\|fatal' "$1" 2>/dev/null | tr '\n' ' ')" >&2
	return 1
}

status=0
if [ -n "${BENCH_PROFILE:-}" ]; then
	for b in "${boots[@]}"; do
		read -r line layout <<<"$b"
		f=$OUT/bench-$line-$layout/results.tap
		boot_done "$f" || { status=1; continue; }
		{
			printf "%-40s %10s %12s %10s %12s\n" function "stock n" "stock us" "ours n" "ours us"
			awk '$1 == "profile" { k[$3] = 1; n[$2 " " $3] = $4; t[$2 " " $3] = $5 }
				END {
					for (f in k) {
						s = t["stock " f]; o = t["ours " f]
						printf "%f %-40s %10d %12.1f %10d %12.1f\n", (s > o ? s : o), f,
							n["stock " f], s, n["ours " f], o
					}
				}' "$f" | sort -nr | cut -d' ' -f2-
		} >"$OUT/profile-$line-$layout.txt"
		echo "== $line-$layout: $BENCH_PROFILE ($OUT/profile-$line-$layout.txt)"
		head -n 25 "$OUT/profile-$line-$layout.txt"
	done
	exit $status
fi
: >"$OUT/results.dat"
{
	printf '%-24s %-22s %14s %14s %8s %14s\n' boot workload "stock (us)" "ours (us)" ratio "mlock-1g (us)"
	for b in "${boots[@]}"; do
		read -r line layout <<<"$b"
		f=$OUT/bench-$line-$layout/results.tap
		boot_done "$f" || { status=1; continue; }
		# Median of each workload and backend; the mlock baseline by itself.
		awk -v boot="$line-$layout" -v dat="$OUT/results.dat" '
			$1 == "bench" { v[$2 " " $3] = v[$2 " " $3] " " $5; w[$2] = 1 }
			function median(s,   a, n, i, j, t) {
				n = split(s, a, " ")
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
					if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			}
			END {
				ml = median(v["mlock-1g none"]) / 1000
				for (k in w) {
					if (k == "mlock-1g") continue
					s = median(v[k " stock"]) / 1000; o = median(v[k " ours"]) / 1000
					printf "%-24s %-22s %14.1f %14.1f %8.2f %14.1f\n", boot, k, s, o, o / s, ml
					printf "%s %s %.1f %.1f %.3f\n", boot, k, s, o, o / s >> dat
				}
			}' "$f" | sort
	done
} | tee "$OUT/results.txt"

if command -v gnuplot >/dev/null && [ -s "$OUT/results.dat" ]; then
	awk '{ print $1 "/" $2, $5 }' "$OUT/results.dat" >"$OUT/plot.dat"
	gnuplot <<EOF >"$OUT/gnuplot.log" 2>&1 && echo "plot: $OUT/results.png"
set terminal pngcairo size 1200,700 noenhanced
set output "$OUT/results.png"
set title "vfio-iommu-iova / stock vfio_iommu_type1, time ratio (below 1: ours is faster)"
set style fill solid 0.6
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -60 font ",8"
set grid ytics
plot "$OUT/plot.dat" using 0:2:xtic(1) with boxes notitle, 1 with lines lw 2 title "stock"
EOF
fi
exit $status
