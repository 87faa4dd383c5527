#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sources.sh [PATH...]: the project's files (under PATHs, if given), one a
# line: from git in a clone, from MANIFEST in a release tarball (make
# dist writes it), so that make deb, make dkms-install and make dist work
# from either.  Never build output.
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
if [ -d .git ] && [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	git ls-files -- "$@"
elif [ -f MANIFEST ]; then
	if [ $# = 0 ]; then
		cat MANIFEST
	else
		for p in "$@"; do
			grep -E "^${p%/}(/|\$)" MANIFEST || true
		done
	fi
else
	echo "vfio-iommu-iova: $top is neither a git clone nor an unpacked release (no MANIFEST)" >&2
	exit 1
fi
