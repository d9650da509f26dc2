#!/usr/bin/env bash
# report.sh SRC OUTDIR LABEL [--optional-suites]: parse OUTDIR/console.log (KUnit with the
# tree's own kunit.py parse, the plan's TAP, splats, KVM mode), print the summary table and
# the closing line, write OUTDIR/results.json. Exit status 1 when anything failed.
. "$(dirname "$0")/lib.sh"

src=${1:?usage: report.sh SRC OUTDIR LABEL}
out=${2:?usage: report.sh SRC OUTDIR LABEL}
label=${3:?usage: report.sh SRC OUTDIR LABEL}
shift 3
[ -d "$out" ] || die "$out missing: boot the VM first (scripts/boot.sh)"
out=$(cd "$out" && pwd)	# kunit.py changes directory to the kernel tree
src=$(cd "$src" && pwd)
log=$out/console.log
[ -f "$log" ] || die "$log missing: boot the VM first (scripts/boot.sh)"

python3 -m harness kunit-log "$log" "$out/kunit-console.log"
kunit_error=
rm -f "$out/kunit.json"
if ! grep -qE '^(\[[ 0-9.]+\] )?\s*K?TAP version' "$out/kunit-console.log"; then
	kunit_error="no KTAP output on the console before init started"
elif ! python3 "$src/tools/testing/kunit/kunit.py" parse --json="$out/kunit.json" \
		"$out/kunit-console.log" >"$out/kunit-parse.txt" 2>&1; then
	kunit_error="kunit.py parse failed (see $out/kunit-parse.txt)"
	[ -s "$out/kunit.json" ] || rm -f "$out/kunit.json"
fi
python3 -m harness report --console "$log" --plan "$PLAN" --known "$KNOWN" \
	--suites "$SUITES" --expect-mode "$KVM_MODE" --cpu "$QEMU_CPU" --page-size "$PAGE_SIZE" --qemu-status "$(cat "$out/qemu-status" 2>/dev/null || echo missing)" \
	--kunit-json "$out/kunit.json" --kunit-error "$kunit_error" --out "$out/results.json" \
	--label "$label" "$@"
