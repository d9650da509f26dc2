#!/usr/bin/env bash
# run.sh MODE: the harness's jobs, each a chain of the step scripts.
#   series   the main job: base + series -> kernel -> selftests -> initramfs -> boot -> report
#   compare  the same plan on the base kernel and the series kernel, side by side
#   check    dependencies, harness unit tests, plan, 'make send' test, series checks, then the
#            main job, then one more configuration of 'make matrix' (rotating with the commit)
. "$(dirname "$0")/lib.sh"

mode=${1:-series}
S=$ROOT/scripts
series_src=$BUILD/work/series/src
series_obj=$BUILD/work/series/$(obj_dir)
selftests=$BUILD/work/selftests
cpio=$BUILD/work/initramfs.cpio

prepare() {
	"$S/deps.sh"
	python3 -m harness check-plan "$PLAN" "$KNOWN" "$SUITES" --also "$ROOT/plan/bench.plan" || die "invalid plan $PLAN"
	"$S/prepare-base.sh"
}

build_series() {
	"$S/apply-series.sh" "$series_src"
	"$S/build-kernel.sh" "$series_src" "$series_obj"
	"$S/build-selftests.sh" "$series_src" "$series_obj" "$selftests"
	"$S/make-initramfs.sh" "$series_obj" "$selftests" "$cpio"
}

run_kernel() {	# run_kernel OBJ LABEL [report args]: boot, then report; returns the verdict
	local obj=$1 label=$2
	shift 2
	"$S/boot.sh" "$obj/arch/arm64/boot/Image" "$cpio" "$BUILD/run/$label"
	"$S/report.sh" "$series_src" "$BUILD/run/$label" "$label" "$@"
}

case $mode in
series)
	prepare
	build_series
	run_kernel "$series_obj" series
	;;
check)
	"$S/deps.sh" build send vmm
	step "harness unit tests (no QEMU)"
	python3 -m unittest discover -s "$ROOT/tests" -t "$ROOT" -v 2>"$BUILD/logs/unit-tests.log" ||
		{ cat "$BUILD/logs/unit-tests.log" >&2; die "harness unit tests failed (log: $BUILD/logs/unit-tests.log)"; }
	tail -n 3 "$BUILD/logs/unit-tests.log" | sed 's/^/    /'
	prepare
	"$S/test-send.sh"
	"$S/check-patches.sh"
	build_series
	run_kernel "$series_obj" series
	# One more configuration of plan/matrix/configurations, rotating with the commit checked
	# (README "Configurations: make matrix"); CHECK_MATRIX=0 leaves it out.
	if [ "${CHECK_MATRIX:-1}" = 1 ]; then
		mapfile -t others < <("$S/matrix.sh" --list | grep -vxF "$QEMU_CPU-$KVM_MODE-$PAGE_SIZE")
		[ ${#others[@]} -gt 0 ] || die "plan/matrix/configurations: no configuration besides $QEMU_CPU-$KVM_MODE-$PAGE_SIZE"
		commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo 0)
		pick=${others[$(( 16#${commit:0:7} % ${#others[@]} ))]}
		step "check: one more configuration of the matrix, chosen by commit ${commit:0:7}: $pick"
		MATRIX=$pick "$S/matrix.sh"
	fi
	;;
compare)
	# The benchmark steps run after the plan, on both kernels; one of them needs a 1GiB page.
	[ "$HUGEPAGES_1G" -gt 0 ] 2>/dev/null || export HUGEPAGES_1G=1
	mkdir -p "$BUILD/work"
	cat "$PLAN" "$ROOT/plan/bench.plan" >"$BUILD/work/compare.plan"
	export PLAN=$BUILD/work/compare.plan
	prepare
	build_series
	"$S/apply-series.sh" "$BUILD/work/base/src" base-tests
	STRICT_CONFIG=0 "$S/build-kernel.sh" "$BUILD/work/base/src" "$BUILD/work/base/$(obj_dir)"
	run_kernel "$BUILD/work/base/$(obj_dir)" base --optional-suites || true
	rc=0
	run_kernel "$series_obj" series || rc=$?
	step "compare: base (Linux $(base_version)) vs series ($(series_patches | wc -l) patches)"
	python3 -m harness compare "$BUILD/run/base/results.json" "$BUILD/run/series/results.json" |
		tee "$BUILD/run/compare.txt"
	info "written to $BUILD/run/compare.txt"
	"$S/measurements.sh" collect
	exit "$rc"
	;;
*)
	die "usage: run.sh series|check|compare"
	;;
esac
