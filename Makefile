# arm64 KVM stage-2 series for Linux 6.1.y, and the harness that tests it.
#   make          the main job: apply patches/ to the base, build, boot the KVM host, run KUnit + plan
#   make check    what CI runs: harness unit tests, send test, series checks (checkpatch, git am,
#                 per-patch build + sparse), then the main job, for every base; every stage runs
#                 unless one it needs failed, then a summary of stages
#   make compare  the same plan on the base kernel and the series kernel, side by side
#   make mutants  the tests against each plausible wrong fix in mutants/ (MUTANTS=pattern: a subset)
#   make matrix   KUnit + a reduced plan on every configuration of plan/matrix/configurations
#                 (CPU model x KVM mode x page size), one table (MATRIX=pattern: a subset)
# Variables: BASE=6.1|6.12 (bases/: the 6.1 series on 6.1.y, or the mainline series on 6.12.y),
# KERNEL_SRC=/path/to/tree (default: Debian's linux-source-<BASE>; BASE_REVISION=<Debian version>
# for an earlier revision of that package), BUILD, CACHE_DIR,
# KVM_MODE=vhe|nvhe|protected, QEMU_CPU=max|neoverse-n1|..., PAGE_SIZE=4k|16k|64k, QEMU_SMP, QEMU_MEM, PLAN, JOBS. See README.md.
S := scripts
export BUILD ?= $(CURDIR)/build
# The kernel's build directory is keyed by BASE (bases/*: build) and PAGE_SIZE, as scripts/lib.sh
# does it; the step targets below use it.
# BASE unset is 6.1 (scripts/lib.sh), except for 'make send', where TARGET chooses the base.
export BASE
PAGE_SIZE ?= 4k
BASE_BUILD := $(BUILD)$(patsubst %/.,%,/$(shell awk '$$1 == "build" { print $$2 }' bases/$(or $(BASE),6.1) 2>/dev/null))
OBJ := $(BASE_BUILD)/work/series/$(if $(filter 4k,$(PAGE_SIZE)),obj,obj-$(PAGE_SIZE))

.PHONY: all run check compare mutants matrix send resign record tree export deps base series kernel selftests initramfs boot report \
	unit-tests check-plan check-patches clean distclean
all: run

run:
	@$(S)/run.sh series
check:
	@$(S)/run.sh check
compare:
	@$(S)/run.sh compare
mutants:
	@$(S)/mutants.sh
matrix:
	@$(S)/matrix.sh

# Mailing the series (docs/sending.md): a dry run into build/outbox unless SEND=1.
send:
	@$(S)/send.sh
resign:
	@$(S)/resign.sh
record:
	@$(S)/measurements.sh record

# Development loop: make tree -> edit and commit in build/tree -> make export
tree: base
	@$(S)/tree.sh
export:
	@$(S)/export.sh

# The steps of the main job, each runnable alone (in this order).
deps:
	@$(S)/deps.sh
base:
	@$(S)/prepare-base.sh
series:
	@$(S)/apply-series.sh $(BASE_BUILD)/work/series/src
kernel:
	@$(S)/build-kernel.sh $(BASE_BUILD)/work/series/src $(OBJ)
selftests:
	@$(S)/build-selftests.sh $(BASE_BUILD)/work/series/src $(OBJ) $(BASE_BUILD)/work/selftests
initramfs:
	@$(S)/make-initramfs.sh $(OBJ) $(BASE_BUILD)/work/selftests $(BASE_BUILD)/work/initramfs.cpio
boot:
	@$(S)/boot.sh $(OBJ)/arch/arm64/boot/Image $(BASE_BUILD)/work/initramfs.cpio $(BASE_BUILD)/run/series
report:
	@$(S)/report.sh $(BASE_BUILD)/work/series/src $(BASE_BUILD)/run/series series

unit-tests:
	@python3 -m unittest discover -s tests -t . -v
check-plan:
	@for b in bases/*; do BASE=$${b#bases/} bash -c '. $(S)/lib.sh && python3 -m harness check-plan "$$PLAN" "$$KNOWN" "$$SUITES" --also "$$BENCH_PLAN"' || exit 1; done
check-patches: base
	@$(S)/check-patches.sh

clean:
	rm -rf $(BUILD)
distclean: clean
	rm -rf $${CACHE_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/kvm-arm64-series}
