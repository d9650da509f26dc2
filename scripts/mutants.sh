#!/usr/bin/env bash
# mutants.sh: run the tests against each mutant of the base (bases/*: mutants; mutants/ for 6.1,
# mutants-mainline/ for 6.12; each a plausible wrong fix, applied on
# top of the series; its header names the patch it breaks and the tests that must kill it).
# Each is built in one mutant tree and object directory (incremental, ccache), booted with
# the KUnit suites and only the plan lines it names, and judged: killed when a test fails.
# Prints "mutant | expected killer | result" and "N of M killed"; exit status 1 when one
# survives (or cannot be run). A mutant whose header says "Unobservable:", or whose
# "Observable-with: VAR=value" this run's configuration does not meet, is listed with the
# reason and not run: never counted as killed.
#   MUTANTS=pat[,pat]   only the mutants whose file name contains one of the patterns
. "$(dirname "$0")/lib.sh"

S=$ROOT/scripts
series_src=$BUILD/work/series/src
series_obj=$BUILD/work/series/$(obj_dir)
selftests=$BUILD/work/selftests
work=$BUILD/work/mutant
runs=$BUILD/run/mutants
h() { python3 -m harness "$@"; }

"$S/deps.sh"
h mutant-check "$MUTANTS_DIR" --series "$PATCHES/series" --suites "$SUITES" \
	--plans "$PLAN" "$BENCH_PLAN" ||
	die "the mutant catalogue $MUTANTS_DIR has problems (listed above)"
mapfile -t list < <(h mutant-list "$MUTANTS_DIR" --pattern "${MUTANTS:-}" \
	--config QEMU_CPU="$QEMU_CPU" KVM_MODE="$KVM_MODE" PAGE_SIZE="$PAGE_SIZE")
[ ${#list[@]} -gt 0 ] || die "no mutant in $MUTANTS_DIR matches MUTANTS=${MUTANTS:-}"

# The series itself, built and tested first: a mutant is only judged against a green series.
"$S/prepare-base.sh"
"$S/apply-series.sh" "$series_src"
"$S/build-kernel.sh" "$series_src" "$series_obj"
"$S/build-selftests.sh" "$series_src" "$series_obj" "$selftests"

mkdir -p "$work" "$runs"
src=$work/src obj=$work/obj
if [ ! -d "$src/.git" ]; then
	step "mutants: cloning the series tree into $src"
	git clone -q --no-checkout "$series_src" "$src"
fi
git -C "$src" fetch -q "$series_src" series
tip=$(git -C "$src" rev-parse FETCH_HEAD)

table=$runs/table.tsv
: >"$table"
killed=0 total=0 bad=0
for entry in "${list[@]}"; do
	IFS=$'\t' read -r name kind unobservable <<<"$entry"
	patch=$MUTANTS_DIR/$name
	killers=$(sed -n 's/^Killed-by:[[:space:]]*//p' "$patch" | head -1)
	if [ -n "$unobservable" ]; then
		printf '%s\t%s\tnot observable here (not run)\t%s\n' "$name" "$killers" "$unobservable" >>"$table"
		continue
	fi
	total=$((total + 1))
	out=$runs/${name%.patch}
	rm -rf "$out"
	mkdir -p "$out"
	step "mutant $total: $name"
	git -C "$src" am --abort >/dev/null 2>&1 || true
	git -C "$src" checkout -q -f --detach "$tip"
	if ! git -C "$src" -c user.name=harness -c user.email=harness@localhost am -3 -q "$patch" >"$out/am.log" 2>&1; then
		git -C "$src" am --abort >/dev/null 2>&1 || true
		printf '%s\t%s\tERROR\tdoes not apply on the series (%s)\n' "$name" "$killers" "$out/am.log" >>"$table"
		bad=1
		continue
	fi
	if ! ("$S/build-kernel.sh" "$src" "$obj") >"$out/build.log" 2>&1; then
		printf '%s\t%s\tERROR\tdoes not build (%s)\n' "$name" "$killers" "$out/build.log" >>"$table"
		bad=1
		continue
	fi
	tests=$selftests
	if [ "$kind" = selftests ]; then
		tests=$work/selftests
		if ! ("$S/build-selftests.sh" "$src" "$obj" "$tests") >"$out/selftests.log" 2>&1; then
			printf '%s\t%s\tERROR\tselftests do not build (%s)\n' "$name" "$killers" "$out/selftests.log" >>"$table"
			bad=1
			continue
		fi
	fi
	h mutant-plan "$patch" --plans "$PLAN" "$BENCH_PLAN" --out "$out/plan" >/dev/null
	: >"$out/known-failures"
	# Boot and report; a failing report is what a kill looks like, so its status is not used.
	(export PLAN=$out/plan KNOWN=$out/known-failures
	 "$S/make-initramfs.sh" "$obj" "$tests" "$work/initramfs.cpio"
	 "$S/boot.sh" "$obj/arch/arm64/boot/Image" "$work/initramfs.cpio" "$out"
	 "$S/report.sh" "$src" "$out" "mutant" || true) >"$out/run.log" 2>&1 || true
	if [ ! -f "$out/results.json" ]; then
		printf '%s\t%s\tERROR\tno results (%s)\n' "$name" "$killers" "$out/run.log" >>"$table"
		bad=1
		continue
	fi
	if line=$(h mutant-verdict "$patch" "$out/results.json"); then
		killed=$((killed + 1))
	fi
	printf '%s\n' "$line" >>"$table"
	info "$(cut -f3- <<<"$line" | tr '\t' ' ')"
done

step "mutants: results (logs and consoles under $runs)"
python3 - "$table" <<'EOF'
import sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1], encoding='utf-8') if l.strip()]
w = [max([len(r[i]) for r in rows] + [len(h)]) for i, h in enumerate(('mutant', 'expected killer'))]
print(f"{'mutant':<{w[0]}} | {'expected killer':<{w[1]}} | result")
for r in rows:
    print(f'{r[0]:<{w[0]}} | {r[1]:<{w[1]}} | {r[2]}: {r[3]}')
EOF
unobs=$(grep -c $'\tnot observable here (not run)\t' "$table" || true)
echo "$killed of $total killed ($unobs not observable here, not run)"
[ "$killed" -eq "$total" ] && [ "$bad" -eq 0 ] || exit 1
