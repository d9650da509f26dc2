#!/usr/bin/env bash
# check-patches.sh: the series' own checks, patch by patch.
#  1. checkpatch.pl --strict on every patch (exceptions: patches/checkpatch-exceptions)
#  2. the series applies to the base with 'git am' (apply-series.sh)
#  3. bisectability: each patch compiles what it touches, and sparse (C=2) finds no
#     warning in those directories that the base does not have
. "$(dirname "$0")/lib.sh"

work=$BUILD/work/bisect
src=$work/src
obj=$work/obj
exceptions=$PATCHES/checkpatch-exceptions
mapfile -t patches < <(series_patches)
"$ROOT/scripts/apply-series.sh" "$src"
failed=0
fail() { printf 'FAILED: %s\n' "$*" >&2; failed=$((failed + 1)); }

# 1. checkpatch
nohistory=
if [ "$(git -C "$(base_repo)" rev-list --count "$(base_ref)")" -le 1 ]; then
	# A scratch base without history (Debian's tarball) cannot resolve the upstream ids in
	# Fixes: tags: checkpatch would call every one unknown. Their format is still checked.
	nohistory=UNKNOWN_COMMIT_ID
	info "checkpatch: the base has no git history, so Fixes: commit ids are not looked up (--ignore UNKNOWN_COMMIT_ID)"
fi
for p in "${patches[@]}"; do
	ignore=$(awk -v p="$p" '$1 == p { printf "%s%s", sep, $2; sep="," }' "$exceptions" 2>/dev/null || true)
	ignore=$ignore${nohistory:+${ignore:+,}$nohistory}
	if out=$(cd "$src" && ./scripts/checkpatch.pl --strict --terse --showfile \
			${ignore:+--ignore "$ignore"} "$PATCHES/$p" 2>&1); then
		step "checkpatch --strict: $p clean${ignore:+ (excepted: $ignore)}"
	else
		printf '%s\n' "$out" | sed 's/^/    | /'
		fail "checkpatch --strict: $p"
	fi
done

# 3. each patch on its own
commits=$(git -C "$src" rev-list --reverse "$(base_ref)..HEAD")
i=0
# Results are cached by the content (git tree id) of the source, the config fragments and
# the compiler: a tree already checked is not built and checked again (CI runs in a fresh
# clone, where only the cache outside the repository survives).
sparse_cache=$CACHE_DIR/sparse
mkdir -p "$sparse_cache"
# "relpath": cached warnings name files relative to the tree, so a cache filled from one checkout
# serves another (entries from before that carried absolute paths have another key).
tool_key=$( { echo relpath; cat "$ROOT"/configs/*.config; "${CROSS}gcc" --version | head -1; sparse --version 2>&1; } |
	sha256sum | cut -c1-12)
flat() { printf '%s' "${1//\//_}"; }	# flat DIR: DIR as a file-name part
sparse_of() {	# sparse_of COMMIT DIR LABEL: C=2 sparse warnings of DIR at COMMIT, positions stripped
	local c=$1 d=$2 label=$3 log cached
	log=$work/sparse-$label-$(flat "$d").log
	cached=$sparse_cache/$(git -C "$src" rev-parse "$c^{tree}" | cut -c1-16)-$tool_key-$(flat "$d")
	if [ -f "$cached.txt" ] && [ -f "$cached.log" ]; then
		cp "$cached.log" "$log"
		cat "$cached.txt"
		return 0
	fi
	configure_at "$c" || return 1
	"${KMAKE[@]}" -C "$src" O="$obj" C=2 "$d" >"$log" 2>&1 || { tail -n 30 "$log" >&2; return 1; }
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" | grep -v '\[-W' |
		sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /' |
		awk -v p="$src/" 'index($0, p) == 1 { $0 = substr($0, length(p) + 1) } 1' |
		sort >"$cached.txt.tmp" || true
	cp "$log" "$cached.log"
	mv "$cached.txt.tmp" "$cached.txt"
	cat "$cached.txt"
}
configure_at() {	# configure_at COMMIT: check it out and (re)configure the bisect build
	git -C "$src" checkout -q "$1"
	CONFIG_ONLY=1 STRICT_CONFIG=0 "$ROOT/scripts/build-kernel.sh" "$src" "$obj" >"$work/config.log" 2>&1 ||
		{ cat "$work/config.log" >&2; return 1; }
}
files_of() { git -C "$src" diff-tree --no-commit-id --name-only -r "$1"; }
dirs_of() {	# files_of COMMIT | dirs_of: what to build for the files it touches
	while read -r f; do
		case $f in
		tools/testing/selftests/kvm/*) echo selftests ;;
		tools/*|Documentation/*|scripts/*|*/.kunitconfig) ;;
		arch/arm64/include/*|include/*) echo arch/arm64/kvm/; echo arch/arm64/mm/ ;;
		*/Kconfig*|*.c|*.S|*/Makefile) echo "$(dirname "$f")/" ;;
		esac
	done | sort -u
}

# The base's warnings, once per directory any patch needs.
for d in $(for c in $commits; do files_of "$c" | dirs_of; done | grep -v '^selftests$' | sort -u); do
	step "bisect: sparse (C=2) baseline of $d at the base"
	sparse_of "$(base_ref)" "$d" base >"$work/sparse-base-$(flat "$d").txt" ||
		fail "the base does not build $d"
done
for c in $commits; do
	p=${patches[$i]}
	i=$((i + 1))
	files=$(files_of "$c")
	for d in $(printf '%s\n' "$files" | dirs_of); do
		if [ "$d" = selftests ]; then
			step "bisect [$i/${#patches[@]}] $p: KVM selftests build"
			git -C "$src" checkout -q "$c"
			"$ROOT/scripts/build-selftests.sh" "$src" "$obj" "$work/selftests-$i" >/dev/null ||
				fail "$p: the KVM selftests do not build at this patch (see $work/selftests-$i/build.log)"
			continue
		fi
		step "bisect [$i/${#patches[@]}] $p: build + sparse (C=2) of $d"
		if ! now=$(sparse_of "$c" "$d" "$i"); then
			fail "$p: $d does not build at this patch (see $work/sparse-$i-*.log)"
			continue
		fi
		new=$(comm -13 "$work/sparse-base-$(flat "$d").txt" <(printf '%s\n' "$now" | sed '/^$/d'))
		if [ -n "$new" ]; then
			printf '%s\n' "$new" | sed 's/^/    | /'
			fail "$p: new sparse warnings in $d"
		fi
		warn_lines=$(grep -E ': warning: .*\[-W' "$work/sparse-$i-$(flat "$d").log" |
			grep -F -f <(printf '%s\n' "$files" | grep -E '\.[ch]$' || echo /nonexistent/) || true)
		if [ -n "$warn_lines" ]; then
			printf '%s\n' "$warn_lines" | sed 's/^/    | /'
			fail "$p: compiler warnings in files it touches"
		fi
	done
done
git -C "$src" checkout -q series
[ "$failed" -eq 0 ] || die "$failed check(s) of the series failed (above)"
step "series checks: ${#patches[@]} patch(es) pass checkpatch --strict, apply with git am, and build one by one"
