# shellcheck shell=bash
# Build guest initramfs images and boot scenarios.  Sourced after common.sh.

# unpack_module FILE DIR: FILE (maybe compressed) into DIR/lib/vfio-iova/mods;
# prints the guest path.
unpack_module() {
	local base
	base=$(basename "$1")
	base=${base%.xz}
	base=${base%.zst}
	mkdir -p "$2/lib/vfio-iova/mods"
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*) cat "$1" ;;
	esac >"$2/lib/vfio-iova/mods/$base" || return 1
	echo "/lib/vfio-iova/mods/$base"
}

# add_modules ROOT ABI DIR MODULE...: the modules and their dependencies
# from ROOT/lib/modules/ABI into the initramfs tree DIR, appended to
# DIR/lib/vfio-iova/load-order (dependencies first, each once).
add_modules() {
	local root=$1 abi=$2 dir=$3 m p
	shift 3
	touch "$dir/lib/vfio-iova/load-order"
	for m in $(module_paths "$root" "$abi" "$@"); do
		p=$(unpack_module "$m" "$dir") || return 1
		grep -qx "$p" "$dir/lib/vfio-iova/load-order" "$dir/lib/vfio-iova/early-order" 2>/dev/null ||
			echo "$p" >>"$dir/lib/vfio-iova/load-order"
	done
}

# has_module ROOT ABI NAME: whether kernel ABI in ROOT has module NAME.
has_module() {
	[ -n "$(find "$1/lib/modules/$2" -name "$3.ko*" -o -name "${3//_/-}.ko*" | head -n1)" ]
}

# results_channel ROOT ABI DIR: the guest's results channel in the
# initramfs tree DIR: open-results, and the drivers it loads first where
# they are modules (arm64's virtio console; behind a virtio-iommu, a
# device probes only once the IOMMU's driver is there: virtio-iommu
# first, where the kernel has it as a module).  Call it before other
# add_modules: add_modules skips what early-order loads already.
results_channel() {
	local root=$1 abi=$2 dir=$3 iommu=()
	mkdir -p "$dir/lib/vfio-iova" || return 1
	cp "$TOP/tests/guest/open-results" "$dir/lib/vfio-iova/" || return 1
	touch "$dir/lib/vfio-iova/early-order"
	[ "$(abi_arch "$abi")" = arm64 ] || return 0
	! has_module "$root" "$abi" virtio_iommu || iommu=(virtio_iommu)
	add_modules "$root" "$abi" "$dir" "${iommu[@]}" virtio_pci virtio_console || return 1
	mv "$dir/lib/vfio-iova/load-order" "$dir/lib/vfio-iova/early-order"
}

# abi_arch ABI: the architecture of a kernel, from its ABI's flavour.
abi_arch() {
	case $1 in
	*-arm64) echo arm64 ;;
	*) echo amd64 ;;
	esac
}

# guest_bin ARCH: where the guests' static programs of ARCH are built
# (build_guest_tools).
guest_bin() {
	if [ "$1" = "$HOST_ARCH" ]; then
		echo "$TOP/.build/guest"
	else
		echo "$TOP/.build/guest/$1"
	fi
}

# busybox_of ARCH: a static busybox of ARCH (this machine's, or
# busybox-static of ARCH unpacked into the cache).
busybox_of() {
	local d=$CACHE/busybox-$1
	if [ "$1" = "$HOST_ARCH" ]; then
		echo /bin/busybox
		return 0
	fi
	if [ ! -x "$d/bin/busybox" ]; then
		rm -rf "$d" "$d.deb" && mkdir -p "$d.deb" &&
			(cd "$d.deb" && apt-get download -q "busybox-static:$1") >/dev/null 2>&1 &&
			dpkg-deb -x "$d.deb"/*.deb "$d" && rm -rf "$d.deb" ||
			{ echo "cannot unpack busybox-static:$1" >&2; return 1; }
	fi
	echo "$d/bin/busybox"
}

# build_guest_tools ARCH: the static test program and vfio-iova for the
# guests of ARCH, in guest_bin ARCH.
# vfio-iova links jansson statically: this machine's libjansson-dev, or
# for another architecture the one in its clients' root.
build_guest_tools() {
	local cc=gcc out root triplet libs=-ljansson
	out=$(guest_bin "$1")
	mkdir -p "$out" || return 1
	if [ "$1" != "$HOST_ARCH" ]; then
		cc=$(cross_compile "$1")gcc
		triplet=$(cross_compile "$1")
		client_root_ensure "$1" || return 1
		root=$(client_root "$1")
		libs=$root/usr/lib/${triplet%-}/libjansson.a
		mkdir -p "$out/include" && ln -sf "$root"/usr/include/jansson*.h "$out/include/" ||
			return 1
		cc="$cc -I$out/include"
	fi
	$cc -static -O2 -Wall -Wextra -Werror -o "$out/vfio-tests" "$TOP"/tests/guest/*.c ||
		{ echo "cannot build the guest test program for $1" >&2; return 1; }
	make -s -C "$TOP" tool CC="$cc -static" TOOL_LIBS="$libs" TOOL="$out/vfio-iova" ||
		{ echo "cannot build vfio-iova for $1" >&2; return 1; }
}

# line_initramfs LINE: LINE's base initramfs, built afresh from the module
# built for it now, as .build/guest/base-ABI.cpio; prints its path.  Never
# leaves one from an earlier run behind: without a module built now, the
# line's guests would boot that run's module.  Fails, saying why on stderr,
# without a module or an initramfs.
line_initramfs() {
	local abi ko out
	abi=$(kernel_abi "$1") || return 1
	ko=$TOP/.build/$abi/vfio_iommu_iova.ko
	out=$TOP/.build/guest/base-$abi.cpio
	rm -f "$out"
	if [ ! -e "$ko" ]; then
		echo "no initramfs for $1: $abi was not built ($ko)" >&2
		return 1
	fi
	if ! initramfs_base "$abi" "$ko" "$out"; then
		rm -f "$out"
		echo "no initramfs for $1 ($abi)" >&2
		return 1
	fi
	echo "$out"
}

# initramfs_base ABI KO OUT: the per-kernel part of the initramfs (busybox,
# test binary, the kernel's VFIO modules, our module).
initramfs_base() {
	local abi=$1 ko=$2 out=$3 root dir arch bin
	root=$(kernel_prepare "$abi") || return 1
	arch=$(abi_arch "$abi")
	bin=$(guest_bin "$arch")
	dir=$(mktemp -d) || return 1
	mkdir -p "$dir"/{bin,dev,proc,sys,etc,lib/vfio-iova/mods}
	cp "$(busybox_of "$arch")" "$dir/bin/busybox" || return 1
	cp "$bin/vfio-tests" "$bin/vfio-iova" "$dir/bin/" || return 1
	cp "$TOP/tests/guest/init" "$dir/init"
	cp "$TOP/tests/guest/qemu-client" "$TOP/tests/guest/dpdk-client" "$TOP/tests/guest/tool-client" \
		"$TOP/tests/guest/qemu-new-client" "$TOP/tests/guest/bench-loop" \
		"$TOP/tests/guest/hostroot" "$dir/bin/"
	cp "$TOP/tests/guest/allowed-diffs" "$dir/lib/vfio-iova/allowed-diffs"
	cp "$ko" "$dir/lib/vfio-iova/vfio_iommu_iova.ko"
	cp "$(dirname "$ko")/tests/mdev/vfio_iova_test_mdev.ko" "$dir/lib/vfio-iova/" || return 1
	# The fault-injection build (tests/matrix.sh), where there is one.
	[ ! -e "$(dirname "$ko")-inject/vfio_iommu_iova.ko" ] ||
		cp "$(dirname "$ko")-inject/vfio_iommu_iova.ko" "$dir/lib/vfio-iova/vfio_iommu_iova-inject.ko"

	# The results channel first, then virtio-iommu where the kernel has it
	# as a module, vfio-pci and its deps, and mdev where it exists (not in
	# Debian's arm64 kernels).
	results_channel "$root" "$abi" "$dir" || return 1
	local want=(vfio-pci 9p 9pnet_virtio virtio_pci) m
	for m in virtio_iommu mdev; do
		! has_module "$root" "$abi" "$m" || want=("$m" "${want[@]}")
	done
	add_modules "$root" "$abi" "$dir" "${want[@]}" || return 1
	local stock
	stock=$(module_paths "$root" "$abi" vfio_iommu_type1 | tail -n1)
	# vfio's softdep pulls in the stock backend: the guest loads it itself.
	stock=$(unpack_module "$stock" "$dir") || return 1
	echo "$stock" >"$dir/lib/vfio-iova/stock-backend"
	grep -vx "$stock" "$dir/lib/vfio-iova/load-order" >"$dir/load-order"
	mv "$dir/load-order" "$dir/lib/vfio-iova/load-order"
	[ -s "$dir/lib/vfio-iova/load-order" ] && [ -s "$dir/lib/vfio-iova/stock-backend" ] ||
		{ echo "no VFIO modules found for $abi" >&2; return 1; }
	chmod 755 "$dir"	# mktemp made it 0700: the guest's / must be searchable
	(cd "$dir" && find . | cpio -o -H newc --quiet) >"$out" || return 1
	rm -rf "$dir"
}

# iommu_field LAYOUT N: field N of the layout's row in tests/iommus.conf
# (2 machine, 3 IOMMU device, 4 kernel cmdline, 5 backend params).
iommu_field() {
	awk -F'|' -v l="$1" -v n="$2" '!/^#/ && NF {
		k = $1; gsub(/ /, "", k)
		if (k == l) { v = $n; gsub(/^ +| +$/, "", v); print v; f = 1 } }
		END { exit !f }' "$TOP/tests/iommus.conf"
}

# boot_scenario NAME LINE LAYOUT BASE_CPIO OUTDIR [EXTRA_ENV]: boot one
# guest; OUTDIR gets console.log and results.tap.  Exit status of qemu.
# GUEST_CPU overrides the CPU model (default max), GUEST_MEM the memory
# (default 2G).
# The guest has two edu devices, an e1000e NIC, a hot-pluggable edu behind
# a root port (id hpedu) and the clients' root filesystem of its
# architecture (client_root), or GUEST_HOSTROOT (9p tag hostroot, read-only).
boot_scenario() {
	local name=$1 line=$2 layout=$3 base=$4 out=$5 extra=${6:-} abi accel
	local machine iommu cmdline params root tmo=${VFIO_IOVA_BOOT_TIMEOUT:-480} arch
	abi=${GUEST_ABI:-$(kernel_abi "$line")} || return 1
	arch=$(kernel_arch "$line") || return 1
	[ "$(iommu_field "$layout" 6)" = "$arch" ] ||
		{ echo "layout $layout is not one of $arch (tests/iommus.conf)" >&2; return 1; }
	# The kernel image: extracted into the cache, or (GUEST_ROOT=/) the one
	# installed on this machine.
	root=${GUEST_ROOT:-}
	[ -n "$root" ] || root=$(kernel_root "$abi") || return 1
	machine=$(iommu_field "$layout" 2) || { echo "unknown layout $layout" >&2; return 1; }
	iommu=$(iommu_field "$layout" 3)
	cmdline=$(iommu_field "$layout" 4)
	params=$(iommu_field "$layout" 5)
	accel=$(kernel_field "$line" 6)
	case $accel in
	tcg) accel="tcg" ;;
	tcg-single) accel="tcg,thread=single" ;;
	esac
	mkdir -p "$out/etc"
	rm -f "$out/results.tap" "$out/console.log"
	{
		echo "SCENARIO='$name'"
		echo "LINE='$(kernel_field "$line" 2)'"
		echo "BACKEND_PARAMS='$params'"
		case $arch in
		amd64) echo "RESULTS_TTY=/dev/ttyS1" ;;
		*) echo "RESULTS_TTY=/dev/hvc0" ;;
		esac
		# The newer QEMU (x86), where its root has it (tests/lib/common.sh).
		[ "$arch" != amd64 ] || [ ! -x "$(root_dir "$NEWQEMU_SUITE")/usr/bin/qemu-system-x86_64" ] ||
			echo "NEWQEMU_ROOT='$(root_dir "$NEWQEMU_SUITE")'"
		echo "$extra" | tr ';' '\n'
	} >"$out/etc/scenario"
	(cd "$out" && echo etc/scenario | cpio -o -H newc --quiet) >"$out/scenario.cpio"
	cat "$base" "$out/scenario.cpio" >"$out/initramfs.cpio"
	# A third edu behind a root port is the hot-plug tests' device: the guest
	# asks for device_del/device_add on its result line, and qmp-agent.py
	# passes that on to this QEMU's monitor (a short path: sun_path is small).
	local qmp agent
	qmp=$(mktemp -d /tmp/vfio-iova-qmp.XXXXXX) || return 1
	python3 "$TOP/tests/lib/qmp-agent.py" "$qmp/sock" "$out/results.tap" "$out/qmp.log" &
	agent=$!
	# Per architecture: QEMU, its CPU, the console, and the results channel
	# (a second UART on x86; arm64's virt machine has one UART, so a virtio
	# console there).
	local qemu cpu console results dev=()
	[ "$iommu" = - ] || dev=(-device "$iommu")
	case $arch in
	amd64)
		qemu=qemu-system-x86_64 cpu=${GUEST_CPU:-max} console=ttyS0
		results=(-serial "file:$out/results.tap" -vga none) ;;
	arm64)
		qemu=qemu-system-aarch64 cpu=${GUEST_CPU:-max,pauth-impdef=on} console=ttyAMA0
		results=(-device virtio-serial-pci -chardev "file,id=results,path=$out/results.tap"
			-device virtconsole,chardev=results) ;;
	esac
	timeout --kill-after=10 "$tmo" "$qemu" \
		-M "$machine" -accel "$accel" -cpu "$cpu" -m "${GUEST_MEM:-2G}" -smp 1 \
		-virtfs "local,path=${GUEST_HOSTROOT:-$(client_root "$arch")},mount_tag=hostroot,security_model=none,readonly=on" \
		"${dev[@]}" -device edu -device edu \
		-device e1000e,netdev=n0 -netdev user,id=n0,restrict=on \
		-device pcie-root-port,id=hp0,chassis=9,slot=9 -device edu,id=hpedu,bus=hp0 \
		-kernel "$root/boot/vmlinuz-$abi" -initrd "$out/initramfs.cpio" \
		-append "console=$console panic=-1 quiet panic_on_warn=1 oops=panic $cmdline" \
		-serial "file:$out/console.log" "${results[@]}" \
		-qmp "unix:$qmp/sock,server=on,wait=off" \
		-display none -monitor none -no-reboot
	local rc=$?
	kill "$agent" 2>/dev/null
	wait "$agent" 2>/dev/null
	rm -rf "$qmp"
	# The serial line turns \n into \r\n.
	[ ! -e "$out/results.tap" ] || sed -i 's/\r$//' "$out/results.tap"
	return $rc
}

# judge RESULTS_TAP: 0 only if the guest wrote its marker, a plan that
# matches the tests it reported, and no failure.  Prints "passed failed".
judge() {
	local f=$1 ok notok plan
	ok=$(grep -c '^ok ' "$f" 2>/dev/null)
	notok=$(grep -c '^not ok ' "$f" 2>/dev/null)
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$f" 2>/dev/null)
	echo "${ok:-0} ${notok:-0}"
	grep -q '^VFIO-IOVA-GUEST-DONE ' "$f" 2>/dev/null || return 1
	[ -n "$plan" ] && [ "$plan" -eq $((ok + notok)) ] && [ "$notok" -eq 0 ] && [ "$ok" -gt 0 ]
}

# expect_results RESULTS_TAP LAYOUT [STEPS]: print, a line each, what a
# scenario of LAYOUT that ran STEPS (all, the default, or layout) had to
# report and did not: every case of vfio-tests under each backend it runs
# for (`vfio-tests list-cases`), and the lines of tests/guest/expected.
# Nothing printed: complete.
expect_results() {
	local f=$1 layout=$2 steps=${3:-all} kind layouts name what b re
	_has_case() { grep -q "^res $1 case $2 " "$f" 2>/dev/null || echo "case $2 under $1"; }
	"$TOP/.build/guest/vfio-tests" list-cases | while read -r name what; do
		[ "$what" != both ] || what="stock iova"
		for b in $what; do _has_case "$b" "$name"; done
	done
	grep -v '^#' "$TOP/tests/guest/expected" | while read -r kind layouts re; do
		if [ "$kind" = all ]; then
			[ "$steps" = all ] || continue
			read -r kind layouts re <<<"$layouts $re"
		fi
		case ",$layouts," in *",$layout,"* | ",*,") ;; *) continue ;; esac
		case $kind in
		case)
			read -r name what <<<"$re"
			for b in ${what//,/ }; do _has_case "$b" "$name"; done ;;
		tap)
			sed -n -E 's/^(not )?ok [0-9]+ - //p' "$f" 2>/dev/null | grep -q -E "$re" ||
				echo "a TAP line matching /$re/" ;;
		obs)
			read -r name key value what <<<"$re"
			for b in ${what//,/ }; do
				grep -q -x "res $b obs $name $key $value" "$f" 2>/dev/null ||
					echo "obs $name $key $value under $b"
			done ;;
		esac
	done
}

# build_for_guests OUT [LINES]: the module for every kernel line, or only
# LINES (log in OUT/matrix.tap), the static test program and the tool for
# the guests of every architecture, or of LINES'.
build_for_guests() {
	local arch archs l
	archs=$(kernel_archs)
	if [ -n "${2:-}" ]; then
		archs=$(for l in $2; do kernel_arch "$l"; done | sort -u)
	fi
	MATRIX_LINES=${2:-} tests/matrix.sh >"$1/matrix.tap" 2>&1 ||
		{ cat "$1/matrix.tap"; die "build failed"; }
	for arch in $archs; do
		build_guest_tools "$arch" || die "cannot build the guests' programs for $arch"
	done
}
