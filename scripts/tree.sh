#!/usr/bin/env bash
# tree.sh: set up the development tree (TREE, default build/tree): the base with the series
# applied as commits. Refuses to throw away work that is not exported to patches/ yet.
. "$(dirname "$0")/lib.sh"

tree=${TREE:-$BUILD/tree}
if [ -d "$tree/.git" ]; then
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no | head -1)" ] ||
		die "$tree has uncommitted changes: commit and 'make export', or remove $tree"
	chk=$(mktemp -d)
	trap 'rm -rf "$chk"' EXIT
	mkdir -p "$chk/p"
	cp "$PATCHES/0000-cover-letter.patch" "$chk/p/" 2>/dev/null || true
	PATCHES=$chk/p TREE=$tree "$ROOT/scripts/export.sh" >/dev/null
	if ! diff -q <(cd "$chk/p" && cat series $(grep -v '^#' series) 2>/dev/null) \
		     <(cd "$PATCHES" && cat series $(grep -v '^#' series) 2>/dev/null) >/dev/null; then
		die "$tree holds commits that differ from patches/: run 'make export' first (or remove $tree to start over)"
	fi
fi
"$ROOT/scripts/apply-series.sh" "$tree"
cover_to_branch "$tree"
step "tree: $tree is on branch 'series' = base + patches/ (edit, commit, then 'make export')"
