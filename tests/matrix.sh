#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the module for every supported kernel line (tests/kernels.conf), each
# in its own directory .build/<abi>/, with W=1 and sparse (C=2), here or in
# the line's build root (tests/kernels.conf).  Any warning
# fails the build.  Prints one TAP line per build: two per kernel line.
# MATRIX_LINES (environment) builds only those lines, in the order of
# tests/kernels.conf, for a run that boots no other.
set -u
. "$(dirname "$0")/lib/common.sh"

n=0
failed=0
lines=$(kernel_lines)
if [ -n "${MATRIX_LINES:-}" ]; then
	for l in $MATRIX_LINES; do
		echo "$lines" | grep -qx -- "$l" || die "unknown kernel line '$l' (see tests/kernels.conf)"
	done
	lines=$(echo "$lines" | grep -x -F "$(echo "$MATRIX_LINES" | tr ' ' '\n')")
else
	# No module of an earlier run may stand in for one this run failed
	# to build (build_module empties the directories of the lines it builds).
	for d in "$TOP"/.build/*/; do
		[ ! -e "$d/Kbuild" ] || rm -rf "$d"
	done
fi
# A line's kernel, headers and build root are downloads, debootstraps
# and installs (minutes on a fresh machine), its builds are CPU: the lines
# are prepared in the background, in order, while the ones before them
# build.  Nothing is installed into a build root while a build uses it:
# a line with a build root is prepared only once the earlier lines of the
# same root are built.  Preparing writes, in $prep: LINE.abi (ABI and
# image root), LINE.vars (make variables), then LINE.ready (seconds it
# took), or LINE.failed; LINE.log is its output.  The builds write
# LINE.built when they are done with a line, or "stop" when they give up.
prep=$TOP/.build/prep
rm -rf "$prep"
mkdir -p "$prep" || exit 1
prepare_line() {
	local line=$1 abi root
	abi=$(kernel_abi "$line") && root=$(kernel_root "$abi") &&
		line_make_vars "$line" "$abi" >"$prep/$line.vars" && [ -s "$prep/$line.vars" ] &&
		echo "$abi $root" >"$prep/$line.abi"
}
# root_free LINE: wait until the lines before LINE that share its build
# root are built; false if the builds stopped.
root_free() {
	local suite l
	suite=$(kernel_suite "$1") || return 1
	[ "$suite" != - ] || return 0
	for l in $(awk -v s="$suite" -v line="$1" -v sel=" $(echo $lines) " '
		!/^#/ && NF && $1 == line { exit }
		!/^#/ && $7 == s && index(sel, " " $1 " ") { print $1 }' "$KERNELS_CONF"); do
		while [ ! -e "$prep/$l.built" ]; do
			[ ! -e "$prep/stop" ] && kill -0 "$matrix" 2>/dev/null || return 1
			sleep 1
		done
	done
}
matrix=$$
(
	for line in $lines; do
		root_free "$line" || exit 1
		t=$SECONDS
		if (prepare_line "$line") >"$prep/$line.log" 2>&1; then
			echo $((SECONDS - t)) >"$prep/$line.ready"
		else
			touch "$prep/$line.failed"
			exit 1
		fi
	done
) &
producer=$!

# Each line twice: the module as shipped, and the test build with the
# fault-injection switch (src/inject.h) in .build/<abi>-inject/.
start=$SECONDS
for line in $lines; do
	t=$SECONDS
	while [ ! -e "$prep/$line.ready" ] && [ ! -e "$prep/$line.failed" ] &&
		kill -0 "$producer" 2>/dev/null; do
		sleep 1
	done
	if [ ! -e "$prep/$line.ready" ]; then
		sed 's/^/#   /' "$prep/$line.log" 2>/dev/null | tail -n 30
		echo "# $line: cannot prepare its kernel, headers or build root"
		touch "$prep/stop"
		wait "$producer"
		exit 1
	fi
	read -r abi root <"$prep/$line.abi"
	BUILD_SUITE=$(kernel_suite "$line") || exit 1
	mapfile -t vars <"$prep/$line.vars"
	echo "# $line: kernel and headers prepared in $(cat "$prep/$line.ready") s, waited for $((SECONDS - t)) s (at $((SECONDS - start)) s)"
	build_module "$line ($abi)" "$abi" "$root" "$TOP/.build/$abi" "${vars[@]}"
	build_module "$line ($abi) with fault injection" "$abi" "$root" "$TOP/.build/$abi-inject" \
		"${vars[@]}" VFIO_IOVA_FAULT_INJECT=1
	touch "$prep/$line.built"
	echo "# $line: built at $((SECONDS - start)) s"
done
wait "$producer"
exit $((failed > 0))
