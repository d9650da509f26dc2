#!/usr/bin/env bash
# measurements.sh collect: called by 'make compare' right after its two runs (a later 'make'
#   overwrites build/run/series), gathers what the cover letter is made from
#   into $BUILD/run/measurements: base.json and series.json (the two runs' results),
#   compare.txt (the side-by-side report) and meta.json: which series (series_id: its
#   patches' patch ids, harness/figures.py, so figures are never mailed with another series),
#   which base (base_line, base_version, and base_revision: the Debian package's version),
#   QEMU, CPU, mode, date.
# measurements.sh record: keep the collected figures in the repository, as
#   measurements/linux-<base version>-<QEMU CPU>-<KVM mode>/ (one directory per configuration,
#   named from meta.json; what 'make send' uses when build/ has none). Figures of the same base
#   line and configuration measured on another base revision are replaced: one per
#   configuration, the newest.
. "$(dirname "$0")/lib.sh"

out=$BUILD/run/measurements
case ${1:-} in
collect)
	src=$BUILD/work/series/src
	for f in "$BUILD/run/base/results.json" "$BUILD/run/series/results.json" "$BUILD/run/compare.txt"; do
		[ -f "$f" ] || die "$f is missing: run 'make compare' first"
	done
	rm -rf "$out" && mkdir -p "$out"
	cp "$BUILD/run/base/results.json" "$out/base.json"
	cp "$BUILD/run/series/results.json" "$out/series.json"
	cp "$BUILD/run/compare.txt" "$out/compare.txt"
	python3 - "$out/meta.json" \
		series_id="$(series_id)" \
		series_tree="$(git -C "$src" rev-parse 'HEAD^{tree}')" \
		patches="$(series_patches | wc -l)" \
		base_line="$BASE" base_version="$(base_version)" base_revision="$(base_revision)" \
		base="${KERNEL_SRC:-Debian $BASE_PACKAGE $(dpkg-query -W -f '${Version}' "$BASE_PACKAGE" 2>/dev/null)}" \
		qemu="$(qemu-system-aarch64 --version | head -n 1 | sed 's/ (.*//')" \
		qemu_cpu="$QEMU_CPU" qemu_smp="$QEMU_SMP" qemu_mem="$QEMU_MEM" kvm_mode="$KVM_MODE" \
		date="$(date -u +%Y-%m-%d)" <<'EOF'
import json, sys
meta = dict(a.split('=', 1) for a in sys.argv[2:])
meta['patches'] = int(meta['patches'])
with open(sys.argv[1], 'w', encoding='utf-8') as f:
    json.dump(meta, f, indent=1)
EOF
	info "cover letter figures: $out (keep them with 'make record')"
	;;
record)
	[ -f "$out/meta.json" ] || die "no figures in $out: run 'make compare' first"
	config=$(python3 -c 'import json,sys; m = json.load(open(sys.argv[1])); print(m["base_version"] + "-" + m["qemu_cpu"] + "-" + m["kvm_mode"])' "$out/meta.json") ||
		die "$out/meta.json: no base_version, qemu_cpu or kvm_mode: run 'make compare' again"
	python3 -m harness figures-check --any-name "$out" --series-id "$(series_id)" --base-line "$BASE" ||
		die "the figures in $out cannot be recorded for the series in $PATCHES (above)"
	dest=$MEASUREMENTS_DIR/linux-$config
	# the same base line and configuration measured on another base: replaced by these
	for d in "$MEASUREMENTS_DIR"/linux-*/; do
		d=${d%/}
		[ "$d" != "$dest" ] && [ -f "$d/meta.json" ] || continue
		if python3 -c 'import json, sys
from harness import figures
a, b = (json.load(open(p + "/meta.json")) for p in sys.argv[1:])
sys.exit(not (figures.meta_base(a).line == figures.meta_base(b).line and figures.config(a) == figures.config(b)))' "$d" "$out"; then
			info "record: replaces $d"
			rm -rf "$d"
		fi
	done
	rm -rf "$dest" && mkdir -p "$dest"
	cp "$out"/* "$dest/"
	python3 -m harness figures-check "$dest" --series-id "$(series_id)" --base-line "$BASE" ||
		die "recorded $dest but it does not check (above)"
	step "record: $dest (commit it with the series it measured)"
	;;
*)
	die "usage: measurements.sh collect|record"
	;;
esac
