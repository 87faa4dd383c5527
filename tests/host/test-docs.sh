# SPDX-License-Identifier: GPL-2.0
# README.md and docs/*.md name only make targets, scripts and files that
# exist, and their relative links resolve.
. "$(dirname "$0")/../lib/common.sh"
cd "$TOP" || exit 1
docs="README.md $(ls docs/*.md 2>/dev/null)"
targets=$(make -qp 2>/dev/null | sed -n 's/^\([a-z][a-z0-9-]*\):.*/\1/p' | sort -u)
bad=
# `make TARGET` in the text, and commands in code blocks.
for t in $({ grep -oh '`make [a-z][a-z0-9-]*' $docs; grep -h '^ *\(sudo \)\{0,1\}make [a-z]' $docs; } |
	sed 's/^.*make \([a-z][a-z0-9-]*\).*$/\1/' | sort -u); do
	echo "$targets" | grep -qx "$t" || bad="$bad make-$t"
done
check "every 'make TARGET' the docs name exists${bad:+ (missing:$bad)}" "[ -z '$bad' ]"
bad=
# Paths in backquotes that look like the project's (a known top folder).
for p in $(grep -oh '`\(src\|include\|tests\|tools\|debian\|docs\)/[^` ]*`' $docs | tr -d '`' | sort -u); do
	p=${p%%:*}
	case $p in *'<'* | *'*'* | *[A-Z][A-Z]* | tests/out/* | include/generated/*) continue ;; esac	# patterns, placeholders, build output
	[ -e "$p" ] || bad="$bad $p"
done
check "every file or folder the docs name exists${bad:+ (missing:$bad)}" "[ -z '$bad' ]"
bad=
for f in $docs; do
	dir=$(dirname "$f")
	for l in $(grep -o '](\([^)#:]*\)' "$f" | sed 's/^](//' | sort -u); do
		[ -n "$l" ] || continue
		[ -e "$dir/$l" ] || bad="$bad $f:$l"
	done
done
check "every relative link resolves${bad:+ (broken:$bad)}" "[ -z '$bad' ]"
