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
# separated), BENCH_SIZES (of the map series, default "64m 256m 1g 4g"),
# BENCH_WORKLOADS (a subset of bench-loop's workloads, vm-1G and vm-2G
# among them; default all), BENCH_JOBS (guests booted at once, default the
# number of CPUs; 1 keeps the guests from sharing the host's CPUs),
# VFIO_IOVA_NO_INSTALL=1.  BENCH_REPORT=1 boots nothing and reports, and
# plots, the results already in tests/out/bench (a run cut short, the
# boots that finished).  BENCH_PROFILE=WORKLOAD instead runs
# that workload once per backend under the function_graph tracer and writes
# the time per kernel function, both backends side by side, to
# tests/out/bench/profile-BOOT.txt.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/guest.sh"
cd "$TOP" || exit 1
OUT=$TOP/tests/out/bench
rounds=${BENCH_ROUNDS:-5}
[ -n "${BENCH_REPORT:-}" ] || rm -rf "$OUT"
mkdir -p "$OUT" "$TOP/.build/guest"
# Each line's kernel ABI, resolved once for the whole run (kernel_abi).
export VFIO_IOVA_ABI_CACHE=${VFIO_IOVA_ABI_CACHE:-$OUT/abi}

if [ -z "${VFIO_IOVA_NO_INSTALL:-}" ]; then
	tests/install-deps.sh || die "installing dependencies failed"
	command -v gnuplot >/dev/null || apt-get install -y -q --no-install-recommends gnuplot-nox \
		>"$OUT/apt.log" 2>&1 || echo "gnuplot-nox not installed: no plot"
fi
all="6.1 intel48,6.1 amd,6.12 intel48,6.12 amd,7.x intel48,7.x amd"
all="$all,6.1-arm64 smmuv3,6.12-arm64 smmuv3,7.x-arm64 smmuv3"
IFS=, read -r -a boots <<<"${BENCH_BOOTS:-$all}"
if [ -z "${BENCH_REPORT:-}" ]; then
	build_for_guests "$OUT" "$(for b in "${boots[@]}"; do echo "${b% *}"; done | sort -u | tr '\n' ' ')"
	declare -A base
	for b in "${boots[@]}"; do
		read -r line layout <<<"$b"
		[ -n "${base[$line]:-}" ] && continue
		base[$line]=$(line_initramfs "$line") || die "no initramfs for $line"
	done

	echo "== $((${#boots[@]})) boots, $rounds rounds each, ${BENCH_JOBS:-$(nproc)} at once: $(date -u '+%F %H:%M UTC'), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	for b in "${boots[@]}"; do
		read -r line layout <<<"$b"
		name=bench-$line-$layout
		while [ "$(jobs -rp | wc -l)" -ge "${BENCH_JOBS:-$(nproc)}" ]; do wait -n; done
		# 8 GiB: the series maps up to 4 GiB of hugetlbfs pages.
		GUEST_MEM=8G VFIO_IOVA_BOOT_TIMEOUT=${BENCH_TIMEOUT:-5400} boot_scenario "$name" "$line" \
			"$layout" "${base[$line]}" "$OUT/$name" "MODE=bench;ROUNDS=$rounds;PROFILE=${BENCH_PROFILE:-};SIZES='${BENCH_SIZES:-}';WORKLOADS='${BENCH_WORKLOADS:-}'" \
			>"$OUT/$name.qemu.log" 2>&1 &
	done
	wait
fi

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
	printf '%-20s %-20s %12s %12s %6s %12s %6s %12s %7s\n' boot workload "stock (us)" \
		"ours (us)" ratio "pin (us)" "o/pin" "mlock (us)" "o/mlock"
	for b in "${boots[@]}"; do
		read -r line layout <<<"$b"
		f=$OUT/bench-$line-$layout/results.tap
		boot_done "$f" || { status=1; continue; }
		# Median of each workload and backend; the floors over both
		# backends' runs (the same kind of pages, measured each time).
		awk -v boot="$line-$layout" -v dat="$OUT/results.dat" '
			$1 == "bench" {
				v[$2 " " $3] = v[$2 " " $3] " " $5; w[$2] = 1
				if (NF >= 7) { pin[$2] = pin[$2] " " $6; ml[$2] = ml[$2] " " $7 }
			}
			function median(s,   a, n, i, j, t) {
				n = split(s, a, " ")
				if (!n) return -1
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
					if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			}
			END {
				for (k in w) {
					s = median(v[k " stock"]) / 1000; o = median(v[k " ours"]) / 1000
					p = median(pin[k]) / 1000; m = median(ml[k]) / 1000
					if (p >= 0)
						printf "%-20s %-20s %12.1f %12.1f %6.2f %12.1f %6.2f %12.1f %7.2f\n",
							boot, k, s, o, o / s, p, o / (p > 0 ? p : 1), m,
							o / (m > 0 ? m : 1)
					else
						printf "%-20s %-20s %12.1f %12.1f %6.2f %12s %6s %12s %7s\n",
							boot, k, s, o, o / s, "-", "-", "-", "-"
					printf "%s %s %.1f %.1f %.3f %.1f %.1f\n", boot, k, s, o, o / s, p, m >> dat
				}
			}' "$f" | sort -k1,1 -k2,2V
	done
} | tee "$OUT/results.txt"

if command -v gnuplot >/dev/null && [ -s "$OUT/results.dat" ]; then
	# The ratios of the fixed workloads and of the 1 GiB maps.
	awk '$2 !~ /-at-|-(64m|256m|4g)-/ { print $1 "/" $2, $5 }' "$OUT/results.dat" >"$OUT/plot.dat"
	gnuplot <<EOF >"$OUT/gnuplot.log" 2>&1 && echo "plot: $OUT/results.png"
set terminal pngcairo size 1400,700 noenhanced
set output "$OUT/results.png"
set title "vfio-iommu-iova / stock vfio_iommu_type1, time ratio (below 1: ours is faster)"
set style fill solid 0.6
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -60 font ",7"
set grid ytics
plot "$OUT/plot.dat" using 0:2:xtic(1) with boxes notitle, 1 with lines lw 2 title "stock"
EOF
	# Scaling, log-log: time against size per kind of memory (map and
	# unmap, with the pinning floor), and against the mappings present.
	for b in "${boots[@]}"; do
		read -r line layout <<<"$b"
		boot=$line-$layout
		for op in map unmap; do
			for k in 4k thp 2m; do
				awk -v b="$boot" -v op="$op" -v k="$k" '$1 == b {
					n = split($2, a, "-")
					if (n != 3 || a[1] != op || a[3] != k) next
					mib = a[2] + 0; if (a[2] ~ /g$/) mib *= 1024
					print mib, $3 / 1000, $4 / 1000, $6 / 1000 }' "$OUT/results.dat" |
					sort -n >"$OUT/scale-$boot-$op-$k.dat"
			done
		done
		awk -v b="$boot" '$1 == b && $2 ~ /^(map|unmap)-at-/ {
			split($2, a, "-"); print a[1], a[3], $3, $4 }' "$OUT/results.dat" |
			sort -k1,1 -k2n >"$OUT/count-$boot.dat"
		gnuplot <<EOF >>"$OUT/gnuplot.log" 2>&1 && echo "plot: $OUT/scaling-$boot.png"
set terminal pngcairo size 1500,500 noenhanced
set output "$OUT/scaling-$boot.png"
set multiplot layout 1,3 title "$boot: time against work, log-log (stock solid, ours dashed, pin floor dotted)"
set logscale xy
set grid
set key left top font ",8"
set xlabel "MiB"
set ylabel "ms"
do for [op in "map unmap"] {
	set title op
	plot for [k in "4k thp 2m"] "$OUT/scale-$boot-".op."-".k.".dat" using 1:2 with linespoints lw 2 title k." stock", \
	     for [k in "4k thp 2m"] "$OUT/scale-$boot-".op."-".k.".dat" using 1:3 with linespoints dt 2 lw 2 title k." ours", \
	     for [k in "4k thp 2m"] "$OUT/scale-$boot-".op."-".k.".dat" using 1:4 with lines dt 3 title k." pin floor"
}
set title "one 4 KiB map / unmap with N mappings present"
set xlabel "mappings present"
set ylabel "us"
plot "< grep '^map ' $OUT/count-$boot.dat" using 2:3 with linespoints lw 2 title "map stock", \
     "< grep '^map ' $OUT/count-$boot.dat" using 2:4 with linespoints dt 2 lw 2 title "map ours", \
     "< grep '^unmap ' $OUT/count-$boot.dat" using 2:3 with linespoints lw 2 title "unmap stock", \
     "< grep '^unmap ' $OUT/count-$boot.dat" using 2:4 with linespoints dt 2 lw 2 title "unmap ours"
unset multiplot
EOF
	done
fi
exit $status
