# SPDX-License-Identifier: GPL-2.0
#
# make [KVER=<abi>] [KROOT=<dir>]  build vfio_iommu_iova.ko for one kernel
#                                  (default: the running one)
# make matrix                      build for every supported kernel line,
#                                  W=1 C=2, failing on any warning
# make check                       the test suite (installs what it needs): every
#                                  kernel line and IOMMU layout at least once
# make check-all                   the full matrix: every scenario of
#                                  tests/scenarios.conf, both DKMS upgrade orders
# make unit                        host unit tests only (ASan/UBSan), no kernel build
# make style                       checkpatch.pl --strict on our sources
# make check-dkms                  the DKMS/.deb end-to-end test alone (root;
#                                  installs and removes kernels and packages)
# make deb                         the vfio-iommu-iova-dkms .deb, in .build/deb/
# make dkms-install [KVER=<abi>]   from this checkout: DKMS source, build and
#                                  install for KVER, modprobe.d rule (root)
# make dkms-uninstall              undo dkms-install (root)
# make tool                        the vfio-iova tool, in .build/tools/
# make dist                        the release tarball, in .build/dist/
# make help                        this list
# make check-debug                 the guest suite and the fuzzer on a KASAN,
#                                  lockdep and kmemleak kernel (tests/debug/)
# make bench                       ours against the stock backend, side by side
#                                  (tests/bench/run.sh; tests/out/bench/)
# make clean

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KROOT ?= /
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
SRCDIR := /usr/src/vfio-iommu-iova-$(VERSION)
MODPROBE_CONF := /lib/modprobe.d/vfio-iommu-iova.conf
LAYOUT := include/generated/vfio_iova_layout.h
PROBES := include/generated/vfio_iova_probes.h

# copy_sources DIR [MORE]: the module's sources (no build output), from git
# in a clone or from MANIFEST in a release tarball (src/scripts/sources.sh).
SOURCES := src include Kbuild Makefile dkms.conf
copy_sources = files=$$(src/scripts/sources.sh $(SOURCES) $(2)) && \
	echo "$$files" | tr '\n' '\0' | xargs -0 cp --parents -t $(1)
DIST := vfio-iommu-iova-$(VERSION)

all: module

module: layout
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Verify the private layout and probe the kernel's API before every build.
layout:
	@mkdir -p $(dir $(LAYOUT))
	src/scripts/verify-layout.sh '$(KVER)' $(LAYOUT) '$(KROOT)'
	src/scripts/probe.sh '$(KDIR)' $(PROBES)

matrix:
	tests/matrix.sh

check:
	tests/run.sh

check-all:
	VFIO_IOVA_ALL=1 tests/run.sh

TOOL_SRC := $(wildcard tools/vfio-iova/*.c) src/iova_ranges.c
TOOL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Itools/shim -Isrc -Itools/vfio-iova

TOOL ?= .build/tools/vfio-iova
# JSON through jansson (libjansson-dev); a cross build names its own.
TOOL_LIBS ?= -ljansson

tool: $(TOOL)

$(TOOL): $(TOOL_SRC) $(wildcard tools/vfio-iova/*.h) tools/shim/linux/*.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -o $@ $(TOOL_SRC) $(TOOL_LIBS)

check-dkms:
	tests/dkms/run.sh

check-debug:
	tests/debug/run.sh

bench:
	tests/bench/run.sh

fuzz:
	tests/fuzz/run.sh

deb:
	rm -rf .build/deb && mkdir -p .build/deb/vfio-iommu-iova-$(VERSION)
	$(call copy_sources,.build/deb/vfio-iommu-iova-$(VERSION),debian tools LICENSE README.md)
	cd .build/deb/vfio-iommu-iova-$(VERSION) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	@ls .build/deb/*.deb

# Every file of the project, and MANIFEST naming them: an unpacked tarball
# builds, packs and installs as a clone does.
dist:
	rm -rf .build/dist && mkdir -p .build/dist/$(DIST)
	files=$$(src/scripts/sources.sh | grep -vx MANIFEST) && \
		echo "$$files" | tr '\n' '\0' | xargs -0 cp --parents -t .build/dist/$(DIST) && \
		{ echo "$$files"; echo MANIFEST; } >.build/dist/$(DIST)/MANIFEST
	tar -C .build/dist -czf .build/dist/$(DIST).tar.gz $(DIST)
	@echo .build/dist/$(DIST).tar.gz

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

dkms-install:
	rm -rf $(SRCDIR) && mkdir -p $(SRCDIR)
	$(call copy_sources,$(SRCDIR))
	dkms add -m vfio-iommu-iova -v $(VERSION)
	dkms install -m vfio-iommu-iova -v $(VERSION) -k $(KVER)
	install -D -m 644 src/modprobe.d/vfio-iommu-iova.conf $(MODPROBE_CONF)

dkms-uninstall:
	-dkms remove -m vfio-iommu-iova -v $(VERSION) --all
	rm -rf $(SRCDIR) $(MODPROBE_CONF)

unit:
	tests/host/run.sh

style:
	tests/style.sh

clean:
	-[ ! -d $(KDIR) ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf include/generated .build

.PHONY: all module layout matrix tool bench fuzz check check-all check-dkms dist help check-debug deb dkms-install dkms-uninstall unit style clean
