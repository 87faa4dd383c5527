# SPDX-License-Identifier: GPL-2.0
#
# make [KVER=<abi>] [KROOT=<dir>]  build vfio_iommu_iova.ko for one kernel
#                                  (default: the running one)
# make matrix                      build for every supported kernel line,
#                                  W=1 C=2, failing on any warning
# make check                       the whole test suite (installs what it needs)
# make unit                        host unit tests only (ASan/UBSan)
# make style                       checkpatch.pl --strict on our sources
# make clean

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KROOT ?= /
LAYOUT := include/generated/vfio_iova_layout.h
PROBES := include/generated/vfio_iova_probes.h

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

unit:
	tests/host/run.sh

style:
	tests/style.sh

clean:
	-[ ! -d $(KDIR) ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf include/generated .build

.PHONY: all module layout matrix check unit style clean
