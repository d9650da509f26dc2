#!/usr/bin/env bash
# run.sh MODE: the harness's jobs, each a chain of the step scripts.
#   series   the main job: base + series -> kernel -> selftests -> initramfs -> boot -> report
#   compare  the same plan on the base kernel and the series kernel, side by side
#   check    dependencies, harness unit tests, plan, 'make send' test, series checks, then the
#            main job, then one more configuration of 'make matrix' (rotating with the commit);
#            then the same series checks and main job for every other base of bases/ (CHECK_BASES)
. "$(dirname "$0")/lib.sh"

mode=${1:-series}
S=$ROOT/scripts
series_src=$BUILD/work/series/src
series_obj=$BUILD/work/series/$(obj_dir)
selftests=$BUILD/work/selftests
cpio=$BUILD/work/initramfs.cpio

prepare() {
	"$S/deps.sh"
	python3 -m harness check-plan "$PLAN" "$KNOWN" "$SUITES" --also "$BENCH_PLAN" || die "invalid plan $PLAN"
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

# check_base: the per-base part of 'make check': the series checks, the main job, then one
# more configuration of plan/matrix/configurations (bases/*: check_matrix; 'rotate' picks one
# by the commit checked, README "Configurations: make matrix"); CHECK_MATRIX=0 leaves it out.
check_base() {
	local pick others commit
	"$S/check-patches.sh"
	build_series
	run_kernel "$series_obj" series
	[ "${CHECK_MATRIX:-1}" = 1 ] || return 0
	pick=$(base_conf check_matrix)
	if [ "$pick" = rotate ]; then
		mapfile -t others < <("$S/matrix.sh" --list | grep -vxF "$QEMU_CPU-$KVM_MODE-$PAGE_SIZE")
		[ ${#others[@]} -gt 0 ] || die "plan/matrix/configurations: no configuration besides $QEMU_CPU-$KVM_MODE-$PAGE_SIZE"
		commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo 0)
		pick=${others[$(( 16#${commit:0:7} % ${#others[@]} ))]}
		step "check: one more configuration of the matrix, chosen by commit ${commit:0:7}: $pick"
	else
		step "check: one more configuration of the matrix for BASE=$BASE (bases/$BASE): $pick"
	fi
	MATRIX=$pick "$S/matrix.sh"
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
	check_base
	# The other bases' series (bases/*; CHECK_BASES='6.12 ...' to choose, '' for none), each
	# checked and run like this one, after it: a failure of one stops 'make check' there.
	for b in ${CHECK_BASES-$(ls "$ROOT/bases")}; do
		[ "$b" = "$BASE" ] && continue
		step "check: BASE=$b (bases/$b)"
		BASE=$b "$S/run.sh" check-base
	done
	;;
check-base)
	# The part of 'make check' that is per base: series checks, main job, one more configuration.
	prepare
	check_base
	;;
compare)
	# The benchmark steps run after the plan, on both kernels; one of them needs a 1GiB page.
	[ "$HUGEPAGES_1G" -gt 0 ] 2>/dev/null || export HUGEPAGES_1G=1
	mkdir -p "$BUILD/work"
	cat "$PLAN" "$BENCH_PLAN" >"$BUILD/work/compare.plan"
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
	die "usage: run.sh series|check|check-base|compare"
	;;
esac
