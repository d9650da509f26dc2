#!/usr/bin/env bash
# resign.sh: make the sender (SEND_FROM, or git config user.name/user.email) the author of
# every patch in $PATCHES and the one who signs it off, replacing placeholder identities:
# the series is applied as commits (build/resign/tree), each commit is re-authored and
# signed off, and patches/ is exported again. Review 'git diff patches/' before committing:
# a Signed-off-by certifies the Developer's Certificate of Origin
# (Documentation/process/submitting-patches.rst), so only sign what you can certify.
. "$(dirname "$0")/lib.sh"

sender_identity

"$ROOT/scripts/prepare-base.sh" >/dev/null
tree=$BUILD/resign/tree
"$ROOT/scripts/apply-series.sh" "$tree" >/dev/null
git -C "$tree" config user.name "$sender_name"
git -C "$tree" config user.email "$sender_addr"
cover_to_branch "$tree"
# Each commit: author = sender (date kept), Signed-off-by lines of placeholder identities
# dropped, the sender's Signed-off-by last.
n=$(git -C "$tree" rev-list --count "$(base_ref)..HEAD")
step "resign: $n patch(es) of $PATCHES as $sender"
export RESIGN_AUTHOR=$sender	# through the environment: a name may hold quotes
git -C "$tree" -c core.hooksPath=/dev/null rebase -q "$(base_ref)" --exec \
	"git log -1 --format=%B | python3 -m harness mail-drop-signoffs | git commit -q --amend --no-verify --author=\"\$RESIGN_AUTHOR\" -F - && git commit -q --amend --no-verify --no-edit -s" \
	>"$BUILD/logs/resign.log" 2>&1 || { tail "$BUILD/logs/resign.log" >&2; die "resign: rewriting the commits failed (log: $BUILD/logs/resign.log)"; }
TREE=$tree "$ROOT/scripts/export.sh"
info "review the change (git diff -- $PATCHES) and commit it; then 'make send'"
