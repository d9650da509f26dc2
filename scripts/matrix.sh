#!/usr/bin/env bash
# matrix.sh: KUnit and the reduced plan (plan/matrix/tests, with the lines of
# plan/matrix/<page size>.plan replacing theirs) on every configuration of
# plan/matrix/configurations (QEMU_CPU KVM_MODE PAGE_SIZE), then one table. One kernel per
# page size (its own build directory), one boot per configuration, one after the other.
# Exit status 1 if any configuration fails (or cannot be built or booted); the others still run.
#   MATRIX=pattern[,pattern]  only the configurations whose name (cpu-mode-pagesize) contains one
#   matrix.sh --list          print every configuration's name, one a line, and stop
. "$(dirname "$0")/lib.sh"

S=$ROOT/scripts
M=$ROOT/plan/matrix
src=$BUILD/work/series/src
work=$BUILD/work/matrix
runs=$BUILD/run/matrix
mkdir -p "$work" "$runs"

configs=()
while read -r cpu mode ps rest; do
	case $cpu in ''|'#'*) continue ;; esac
	[ -z "$rest" ] && [ -n "$ps" ] || die "$M/configurations: '$cpu $mode $ps $rest': want QEMU_CPU KVM_MODE PAGE_SIZE"
	[ -f "$ROOT/configs/page-size/$ps.config" ] || die "$M/configurations: no configs/page-size/$ps.config for '$cpu $mode $ps'"
	name=$cpu-$mode-$ps
	if [ "${1:-}" = --list ]; then
		echo "$name"
		continue
	fi
	if [ -n "${MATRIX:-}" ]; then
		keep=0
		for pat in ${MATRIX//,/ }; do [[ $name == *"$pat"* ]] && keep=1; done
		[ "$keep" = 1 ] || continue
	fi
	configs+=("$name")
done <"$M/configurations"
[ "${1:-}" = --list ] && exit 0
[ ${#configs[@]} -gt 0 ] || die "no configuration of $M/configurations matches MATRIX=${MATRIX:-}"
step "matrix: ${#configs[@]} configurations: ${configs[*]}"

"$S/deps.sh" build vmm
python3 -m harness check-plan "$PLAN" "$KNOWN" "$SUITES" --also "$BENCH_PLAN" >/dev/null || die "invalid plan or $KNOWN"
"$S/prepare-base.sh"
"$S/apply-series.sh" "$src"
# The selftests are built once, against the default page size's kernel headers: they are user
# space, and take the host's page size at run time (getpagesize()).
"$S/build-kernel.sh" "$src" "$BUILD/work/series/$(obj_dir)"
"$S/build-selftests.sh" "$src" "$BUILD/work/series/$(obj_dir)" "$BUILD/work/selftests"

# One kernel, plan and initramfs per page size. A page size whose kernel fails to build fails
# its configurations, not the others.
declare -A built
for name in "${configs[@]}"; do
	ps=${name##*-}
	[ -n "${built[$ps]:-}" ] && continue
	built[$ps]=failed
	obj=$BUILD/work/series/$(PAGE_SIZE=$ps obj_dir)
	python3 -m harness plan-select "$M/tests" "$PLAN" "$BENCH_PLAN" \
		--override "$M/$ps.plan" --out "$work/$ps.plan" | sed 's/^/    /' ||
		die "plan/matrix: cannot make the plan for $ps pages"
	if (PAGE_SIZE=$ps "$S/build-kernel.sh" "$src" "$obj" &&
	    PAGE_SIZE=$ps PLAN=$work/$ps.plan "$S/make-initramfs.sh" "$obj" "$BUILD/work/selftests" "$work/$ps.cpio"); then
		built[$ps]=$obj
	else
		warn "matrix: the $ps kernel or its initramfs failed: its configurations fail"
	fi
done

cells=()
for name in "${configs[@]}"; do
	ps=${name##*-}
	rest=${name%-*}
	mode=${rest##*-}
	cpu=${rest%-*}
	out=$runs/$name
	rm -rf "$out"
	mkdir -p "$out"
	cells+=("$name=$out/results.json")
	[ "${built[$ps]}" != failed ] || continue
	step "matrix: $name (QEMU_CPU=$cpu KVM_MODE=$mode PAGE_SIZE=$ps)"
	(
		export QEMU_CPU=$cpu KVM_MODE=$mode PAGE_SIZE=$ps PLAN=$work/$ps.plan
		"$S/boot.sh" "${built[$ps]}/arch/arm64/boot/Image" "$work/$ps.cpio" "$out"
		"$S/report.sh" "$src" "$out" "$name"
	) >"$out/matrix.log" 2>&1 || true
	grep -E '^== |^FAILED|passed, .* failed' "$out/matrix.log" | sed 's/^/    /' || true
	[ -f "$out/results.json" ] || warn "matrix: $name has no results; see $out/matrix.log"
done

step "matrix: $(series_patches | wc -l) patches on Linux $(base_version), $(elapsed)"
rc=0
python3 -m harness matrix-table --counts "$M/counts" "${cells[@]}" >"$runs/table.txt" || rc=$?
cat "$runs/table.txt"
info "table: $runs/table.txt; per configuration: $runs/<name>/ (console.log, results.json, matrix.log)"
exit "$rc"
