#!/usr/bin/env bash
# measurements.sh collect: called by 'make compare' right after its two runs (a later 'make'
#   overwrites build/run/series), gathers what the cover letter is made from
#   into $BUILD/run/measurements: base.json and series.json (the two runs' results),
#   compare.txt (the side-by-side report) and meta.json (which series - the git tree id of
#   base + patches, so figures are never mailed with another series -, base, QEMU, CPU, mode,
#   date).
# measurements.sh record: keep the collected figures in the repository, as
#   measurements/linux-<base version>-<QEMU CPU>-<KVM mode>/ (one directory per configuration,
#   named from meta.json; what 'make send' uses when build/ has none).
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
		series_tree="$(git -C "$src" rev-parse 'HEAD^{tree}')" \
		patches="$(series_patches | wc -l)" \
		base_version="$(base_version)" \
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
	dest=$MEASUREMENTS_DIR/linux-$config
	rm -rf "$dest" && mkdir -p "$dest"
	cp "$out"/* "$dest/"
	step "record: $dest (commit it with the series it measured)"
	;;
*)
	die "usage: measurements.sh collect|record"
	;;
esac
