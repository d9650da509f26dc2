#!/usr/bin/env bash
# run.sh MODE: the harness's jobs, each a chain of the step scripts.
#   series   the main job: base + series -> kernel -> selftests -> initramfs -> boot -> report
#   compare  the same plan on the base kernel and the series kernel, side by side
#   check    stages: dependencies, harness unit tests, plans, 'make send' test; then for this
#            BASE and every other of bases/ (CHECK_BASES): base tree, series checks, kernel,
#            main job, one more configuration of 'make matrix'. Every stage runs unless one it
#            needs failed; a summary of stages at the end, non-zero exit if any did not pass.
#   build|boot|matrix-one   those per-base stages of 'make check', each alone
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

# check_matrix: after the main job, one more configuration of plan/matrix/configurations
# (bases/*: check_matrix; 'rotate' picks one by the commit checked, docs/measuring.md
# "Configurations: make matrix").
check_matrix() {
	local pick others commit
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

# 'make check' runs every stage, each in a process of its own (a failure stops only that
# stage), and skips a stage only when one it needs failed (no base tree: no kernel; no kernel:
# no boot), saying so; then prints a summary of stages and fails if any did not pass.
declare -A stage_status
summary=$BUILD/logs/check-summary.txt
stage() {	# stage NAME 'NEEDED STAGES' CMD...
	local name=$1 needs=$2 t0 rc=0 n dt
	shift 2
	for n in $needs; do
		if [ "${stage_status[$n]:-}" != passed ]; then
			stage_status[$name]="not run"
			printf '%-34s %-8s %7s  needs %s, which %s\n' "$name" "not run" - "$n" "${stage_status[$n]:-did not run}" >>"$summary"
			step "check: $name: not run (it needs $n, which ${stage_status[$n]:-did not run})"
			return 0
		fi
	done
	step "check: stage $name"
	t0=$(date +%s)
	( "$@" ) || rc=$?
	dt=$(( $(date +%s) - t0 ))
	if [ "$rc" -eq 0 ]; then stage_status[$name]=passed; else stage_status[$name]=failed; fi
	printf '%-34s %-8s %4dm%02ds%s\n' "$name" "${stage_status[$name]}" $((dt / 60)) $((dt % 60)) \
		"$([ "$rc" -eq 0 ] || echo "  exit $rc")" >>"$summary"
	[ "$rc" -eq 0 ] || warn "check: stage $name failed (exit $rc); going on with the stages that do not need it"
}
unit_tests() {
	python3 -m unittest discover -s "$ROOT/tests" -t "$ROOT" -v 2>"$BUILD/logs/unit-tests.log" ||
		{ cat "$BUILD/logs/unit-tests.log" >&2; die "harness unit tests failed (log: $BUILD/logs/unit-tests.log)"; }
	tail -n 3 "$BUILD/logs/unit-tests.log" | sed 's/^/    /'
	# The deps stage installed what every test needs: here a skip would pass a test that never ran.
	local skipped
	if skipped=$(grep ' \.\.\. skipped' "$BUILD/logs/unit-tests.log"); then
		sed 's/^/    /' <<<"$skipped" >&2
		die "harness unit tests skipped after the deps stage installed their tools (log: $BUILD/logs/unit-tests.log)"
	fi
}
check_plans() {
	local b
	for b in $(ls "$ROOT/bases"); do
		BASE=$b bash -c '. "$1/scripts/lib.sh" && python3 -m harness check-plan "$PLAN" "$KNOWN" "$SUITES" --also "$BENCH_PLAN"' sh "$ROOT" ||
			die "invalid plan of BASE=$b (bases/$b)"
	done
}

case $mode in
series)
	prepare
	build_series
	run_kernel "$series_obj" series
	;;
check)
	# bases/*, this BASE first (CHECK_BASES='6.12 ...' to choose, '' for this one alone)
	bases=("$BASE")
	for b in ${CHECK_BASES-$(ls "$ROOT/bases")}; do [ "$b" = "$BASE" ] || bases+=("$b"); done
	: >"$summary"
	stage deps "" "$S/deps.sh" build send vmm
	stage unit-tests "" unit_tests
	stage plans "" check_plans
	stage send-test deps "$S/test-send.sh"
	for b in "${bases[@]}"; do
		stage "$b/base" deps env BASE="$b" "$S/prepare-base.sh"
		stage "$b/series-checks" "$b/base" env BASE="$b" "$S/check-patches.sh"
		stage "$b/kernel" "$b/base plans" env BASE="$b" "$S/run.sh" build
		[ "$(BASE=$b base_conf userspace)" = - ] ||
			stage "$b/userspace" "$b/kernel" env BASE="$b" "$S/userspace-tests.sh"
		stage "$b/main-job" "$b/kernel" env BASE="$b" "$S/run.sh" boot
		if [ "${CHECK_MATRIX:-1}" = 1 ]; then
			stage "$b/matrix" "$b/kernel" env BASE="$b" "$S/run.sh" matrix-one
		fi
	done
	step "check: summary (also in $summary)"
	sed 's/^/    /' "$summary"
	bad=$(grep -cv ' passed ' "$summary" || true)
	[ "$bad" -eq 0 ] || die "make check: $bad of $(wc -l <"$summary") stages did not pass (above)"
	step "check: all $(wc -l <"$summary") stages passed"
	;;
build)
	# Stages of 'make check' for one base: the series kernel, its selftests and initramfs,
	build_series
	;;
boot)
	# ... the main job's boot and report,
	run_kernel "$series_obj" series
	;;
matrix-one)
	# ... and one more configuration of the matrix.
	check_matrix
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
	die "usage: run.sh series|check|build|boot|matrix-one|compare"
	;;
esac
