#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host unit tests.  Every tests/host/test-*.c is built with ASan and UBSan
# (-fno-sanitize-recover: any finding fails) and run; every
# tests/host/test-*.sh is run.  Each prints TAP lines "ok"/"not ok"; this
# runner renumbers them into one TAP stream and exits non-zero on any
# failure, on a test that printed nothing, or on a test that exited non-zero.
set -u
. "$(dirname "$0")/../lib/common.sh"
HOST=$TOP/tests/host
BUILD=$TOP/.build/host
mkdir -p "$BUILD"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
export SAN BUILD

n=0
failed=0
echo "TAP version 13"
for t in "$HOST"/test-*.c "$HOST"/test-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t")
	case $t in
	*.c)
		bin=$BUILD/${name%.c}
		extra=$(sed -n 's|^// build: ||p' "$t" | tr ' ' '\n' | sed "/^-/!s|^|$TOP/|")
		# shellcheck disable=SC2086
		if ! gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror $SAN -I"$TOP/tools/shim" \
			-I"$TOP/src" -I"$TOP/tools/vfio-iova" -I"$HOST" -o "$bin" "$t" $extra 2>"$bin.log"; then
			n=$((n + 1)); failed=$((failed + 1))
			echo "not ok $n - $name: does not build"
			sed 's/^/#   /' "$bin.log"
			continue
		fi
		cmd=("$bin") ;;
	*.sh) cmd=(bash "$t") ;;
	esac
	out=$("${cmd[@]}" 2>&1)
	rc=$?
	seen=0
	while IFS= read -r l; do
		case $l in
		"ok "*|"not ok "*)
			n=$((n + 1)); seen=$((seen + 1))
			case $l in "not ok"*) failed=$((failed + 1)) ;; esac
			st=${l%% [0-9]*}
			echo "$st $n - $name: ${l#* - }" ;;
		*) echo "# $l" ;;
		esac
	done <<<"$out"
	if [ "$rc" -ne 0 ] || [ "$seen" -eq 0 ]; then
		n=$((n + 1)); failed=$((failed + 1))
		echo "not ok $n - $name: exit status $rc, $seen results"
	fi
done
echo "1..$n"
echo "# host: $((n - failed)) passed, $failed failed"
exit $((failed > 0))
