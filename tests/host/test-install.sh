# SPDX-License-Identifier: GPL-2.0
# tools/install.sh stops with a clear message, before installing anything,
# where it cannot do its job; make dist gives a tarball that builds the
# tool and packs itself again without git.  (The package it builds is
# installed for real by tests/dkms/run.sh.)
. "$(dirname "$0")/../lib/common.sh"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
chmod 755 "$w"

out=$(setpriv --reuid=65534 --regid=65534 --clear-groups sh "$TOP/tools/install.sh" 2>&1)
check "install.sh: without root, says so" "echo \"\$out\" | grep -q 'run as root'"
out=$(sh "$TOP/tools/install.sh" --frobnicate 2>&1)
check "install.sh: an unknown argument is named" "echo \"\$out\" | grep -q \"unknown argument '--frobnicate'\""
if [ "$(id -u)" = 0 ]; then
	out=$(sh "$TOP/tools/install.sh" --kernel 0.0.0-no-such-kernel 2>&1)
	check "install.sh: a kernel Debian has no headers for is refused" \
		"echo \"\$out\" | grep -q 'kernel 0.0.0-no-such-kernel: Debian has no linux-headers'"
fi

make -s -C "$TOP" dist >"$w/dist.log" 2>&1
tarball=$(tail -n1 "$w/dist.log")
check "make dist writes the release tarball" "[ -f '$TOP/$tarball' ]"
tar -C "$w" -xzf "$TOP/$tarball"
rel=$(ls -d "$w"/vfio-iommu-iova-*/)
check "the tarball has every tracked file" \
	"[ \"\$(cd '$TOP' && src/scripts/sources.sh | sort)\" = \"\$(grep -vx MANIFEST '$rel/MANIFEST' | sort)\" ]"
check "from the tarball, without git: make tool" "make -s -C '$rel' tool >/dev/null 2>&1"
check "from the tarball, without git: make dist" "make -s -C '$rel' dist >/dev/null 2>&1"
check "from the tarball: the module's sources are listed" \
	"[ \"\$('$rel/src/scripts/sources.sh' src | wc -l)\" = \"\$(cd '$TOP' && src/scripts/sources.sh src | wc -l)\" ]"
