#!/usr/bin/env bash
# build-kernel.sh SRC OBJ: configure (allnoconfig + configs/*.config) and build the arm64
# test kernel out of tree in OBJ. Every symbol a fragment asks for must survive into .config.
#   STRICT_CONFIG=0  a symbol the tree does not define at all (a KUnit suite the series adds,
#                    when building the base) is skipped with a note instead of failing
#   CONFIG_ONLY=1    configure, do not build
. "$(dirname "$0")/lib.sh"

src=${1:?usage: build-kernel.sh SRC OBJ}
obj=${2:?usage: build-kernel.sh SRC OBJ}
FRAGMENTS=${FRAGMENTS:-"$ROOT/configs/page-size/$PAGE_SIZE.config $ROOT/configs/kvm-host.config $ROOT/configs/debug.config $ROOT/configs/kunit.config $ROOT/configs/series-suites/$BASE.config $ROOT/configs/tracing.config"}
mkdir -p "$obj"
[ -f "$src/Makefile" ] || die "$src is not a kernel tree"
src=$(cd "$src" && pwd)
obj=$(cd "$obj" && pwd)

# check_config FRAGMENT...: fail, naming fragment and symbol, if .config differs from a request.
check_config() {
	local frag line sym want have bad=0
	for frag in "$@"; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*) sym=${line%%=*}; want=$line ;;
			"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want="" ;;
			*) continue ;;
			esac
			have=$(grep -E "^$sym=" "$obj/.config" || true)
			if [ "$have" != "$want" ] && [ "${STRICT_CONFIG:-1}" = 0 ] &&
			   ! grep -rqsE "^[[:space:]]*(menu)?config[[:space:]]+${sym#CONFIG_}[[:space:]]*$" \
				--include='Kconfig*' "$src"; then
				info "config: $sym is not defined in this tree (skipped: STRICT_CONFIG=0)"
				continue
			fi
			if [ "$have" != "$want" ]; then
				printf 'ERROR: %s asks for %s but the final .config has %s\n' \
					"$frag" "${want:-$sym unset}" "${have:-$sym unset}" >&2
				bad=1
			fi
		done <"$frag"
	done
	[ "$bad" -eq 0 ] || die "kernel config for $obj does not match the fragments (a dependency is missing or the toolchain lacks a feature); see $obj/.config"
}

configure() {
	local key
	key=$( { cat $FRAGMENTS; "${CROSS}gcc" --version | head -1; git -C "$src" rev-parse HEAD 2>/dev/null; } | sha256sum | cut -c1-32)
	if [ -f "$obj/.config" ] && [ "$(cat "$obj/.harness-config-key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	step "kernel: configuring $obj (allnoconfig + $(for f in $FRAGMENTS; do basename "$f"; done | tr '\n' ' '))"
	# CROSS_COMPILE must be set here too: toolchain-detected options (ARM64_TLB_RANGE among
	# them) are otherwise judged with the host compiler.
	run_logged "$obj/config.log" "allnoconfig" "${KMAKE[@]}" -C "$src" O="$obj" allnoconfig
	run_logged "$obj/config-merge.log" "merge_config.sh" \
		bash -c 'cd "$1" && shift && "$@"' _ "$obj" "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" $FRAGMENTS
	run_logged "$obj/config-old.log" "olddefconfig" "${KMAKE[@]}" -C "$src" O="$obj" olddefconfig
	check_config $FRAGMENTS
	printf '%s\n' "$key" >"$obj/.harness-config-key"
}

configure
[ "${CONFIG_ONLY:-0}" = 1 ] && exit 0
step "kernel: building $obj/arch/arm64/boot/Image from $src ($JOBS jobs, ccache $CCACHE_DIR)"
run_logged "$obj/build.log" "kernel build" "${KMAKE[@]}" -C "$src" O="$obj" Image
[ -x "$obj/usr/gen_init_cpio" ] || run_logged "$obj/build-cpio.log" "gen_init_cpio" \
	"${KMAKE[@]}" -C "$src" O="$obj" usr/gen_init_cpio
step "kernel: built $(du -h "$obj/arch/arm64/boot/Image" | cut -f1) Image ($(ccache -s 2>/dev/null | grep -iE '^\s*hits|cache hit \(rate\)|^Hits' | head -1 | tr -s ' ' || true))"
