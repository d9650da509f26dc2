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
	ignore=$(echo "$ignore${nohistory:+${ignore:+,}$nohistory}")
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
sparse_of() {	# sparse_of DIR LABEL: C=2 sparse warnings of DIR, positions stripped
	local d=$1 label=$2 log
	log=$work/sparse-$label-$(echo "$d" | tr '/' '_').log
	"${KMAKE[@]}" -C "$src" O="$obj" C=2 "$d" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" |
		sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /' | sort || true
}
configured=
for c in $commits; do
	p=${patches[$i]}
	i=$((i + 1))
	git -C "$src" checkout -q "$c"
	files=$(git -C "$src" diff-tree --no-commit-id --name-only -r "$c")
	dirs=$(printf '%s\n' "$files" | while read -r f; do
		case $f in
		tools/testing/selftests/kvm/*) echo selftests ;;
		tools/*|Documentation/*|scripts/*) ;;
		arch/arm64/include/*|include/*) echo arch/arm64/kvm/; echo arch/arm64/mm/ ;;
		*/Kconfig*|*.c|*.S|*/Makefile) echo "$(dirname "$f")/" ;;
		esac
	done | sort -u)
	for d in $dirs; do
		if [ "$d" = selftests ]; then
			step "bisect [$i/${#patches[@]}] $p: KVM selftests build"
			if ! "$ROOT/scripts/build-selftests.sh" "$src" "$obj" "$work/selftests-$i" >/dev/null; then
				fail "$p: the KVM selftests do not build at this patch (see $work/selftests-$i/build.log)"
			fi
			continue
		fi
		step "bisect [$i/${#patches[@]}] $p: build + sparse of $d"
		if [ -z "$configured" ]; then
			git -C "$src" checkout -q "$(base_ref)"
			"$ROOT/scripts/build-kernel.sh" "$src" "$obj" || { fail "base kernel does not build"; break; }
			configured=1
			git -C "$src" checkout -q "$c"
		fi
		base_file=$work/sparse-base-$(echo "$d" | tr '/' '_').txt
		if [ ! -f "$base_file" ]; then
			git -C "$src" checkout -q "$(base_ref)"
			sparse_of "$d" base >"$base_file" || { fail "the base does not build $d"; continue; }
			git -C "$src" checkout -q "$c"
		fi
		if ! now=$(sparse_of "$d" "$i"); then
			fail "$p: $d does not build at this patch (see $work/sparse-$i-*.log)"
			continue
		fi
		new=$(comm -13 "$base_file" <(printf '%s\n' "$now" | sed '/^$/d'))
		if [ -n "$new" ]; then
			printf '%s\n' "$new" | sed 's/^/    | /'
			fail "$p: new sparse warnings in $d"
		fi
		warn_lines=$(grep -E ': warning:' "$work/sparse-$i-$(echo "$d" | tr '/' '_').log" |
			grep -vE '^[^ ]+:[0-9]+:[0-9]+: warning: .*\[sparse\]' |
			grep -F -f <(printf '%s\n' "$files" | grep -E '\.[ch]$') || true)
		if [ -n "$warn_lines" ]; then
			printf '%s\n' "$warn_lines" | sed 's/^/    | /'
			fail "$p: compiler warnings in files it touches"
		fi
	done
done
git -C "$src" checkout -q series
[ "$failed" -eq 0 ] || die "$failed check(s) of the series failed (above)"
step "series checks: ${#patches[@]} patch(es) pass checkpatch --strict, apply with git am, and build one by one"
