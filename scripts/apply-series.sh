#!/usr/bin/env bash
# apply-series.sh DIR [N|base-tests]: make DIR a clone of the base with the first N patches
# of the series (all by default) applied as commits by 'git am'; with 'base-tests', only the
# test patches listed in $BASE_TESTS (bases/*: base_tests) (tests that use nothing the series adds, so
# that 'make compare' runs them on the base too). A clone that already holds exactly that is
# left alone, so incremental builds stay incremental.
. "$(dirname "$0")/lib.sh"

dir=${1:?usage: apply-series.sh DIR [N|base-tests]}
repo=$(base_repo)
ref=$(base_ref)
mapfile -t patches < <(series_patches)
if [ "${2:-}" = base-tests ]; then
	list=$BASE_TESTS
	mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
	for p in "${wanted[@]}"; do
		grep -qxF -- "$p" < <(printf '%s\n' "${patches[@]}") ||
			die "$list lists $p, which is not in $PATCHES/series (renumbered by 'make export'?)"
	done
	patches=("${wanted[@]}")
else
	n=${2:-${#patches[@]}}
	patches=("${patches[@]:0:$n}")
fi

key=$( { echo "$ref"; for p in "${patches[@]}"; do echo "$p"; cat "$PATCHES/$p"; done; } | sha256sum | cut -c1-32)
if [ -d "$dir/.git" ] && [ "$(cat "$dir/.git/harness-series-key" 2>/dev/null)" = "$key" ] &&
   [ -z "$(git -C "$dir" status --porcelain --untracked-files=no | head -1)" ]; then
	step "series: $dir already has the base + ${#patches[@]} patch(es)"
	exit 0
fi

if [ ! -d "$dir/.git" ]; then
	step "series: cloning the base into $dir"
	mkdir -p "$(dirname "$dir")"
	rm -rf "$dir"
	git clone -q --no-checkout "$repo" "$dir"
	git -C "$dir" config gc.auto 0	# (the clone's loose objects are hard links of the base's)
fi
git -C "$dir" fetch -q "$repo" "$ref" 2>/dev/null || git -C "$dir" fetch -q "$repo" 'refs/tags/*:refs/tags/*'
git -C "$dir" am --abort >/dev/null 2>&1 || true
git -C "$dir" checkout -q -f -B series "$ref"
git -C "$dir" clean -q -fd
step "series: applying ${#patches[@]} patch(es) to Linux $(base_version) with git am"
for p in "${patches[@]}"; do
	if ! out=$(git -C "$dir" -c user.name=harness -c user.email=harness@localhost \
			am --keep-cr "$PATCHES/$p" 2>&1); then
		git -C "$dir" am --abort >/dev/null 2>&1 || true
		printf '%s\n' "$out" | grep -vE '^(hint:|When you have resolved|If you prefer to skip|To restore the original)' | sed 's/^/    | /' >&2
		die "patch $PATCHES/$p does not apply to Linux $(base_version) (base $ref, after the patches before it in $PATCHES/series)"
	fi
	info "applied $p"
done
printf '%s\n' "$key" >"$dir/.git/harness-series-key"
