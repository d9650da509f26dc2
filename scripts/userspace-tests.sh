#!/usr/bin/env bash
# userspace-tests.sh: the series' pure code compiled for the host and checked against an oracle
# (bases/*: userspace), in the series tree 'make kernel' applied: for 6.1 the TLBI range code
# of asm/tlbflush.h at 4K/16K/64K (tests/userspace/tlbi_range.c), then every mutant of that
# header in the base's catalogue, each of which must be killed (a compile and a run each).
. "$(dirname "$0")/lib.sh"
what=$(base_conf userspace)
if [ "$what" = - ]; then
	info "userspace: bases/$BASE has no userspace tests"
	exit 0
fi
src=$BUILD/work/series/src
[ -f "$src/Makefile" ] || die "userspace: no series tree in $src: run 'make series' (or 'make kernel') first"
command -v gcc >/dev/null || die "userspace: gcc (the host's compiler) is missing: run 'make deps'"
case $what in
tlbi)
	step "userspace: the TLBI range code of $src in userspace, and the mutants of $(base_conf mutants)/"
	python3 -m harness userspace-tlbi --tree "$src" --mutants "$ROOT/$(base_conf mutants)" ||
		die "userspace: the TLBI range test failed or a mutant survived (above)"
	;;
*) die "bases/$BASE: userspace '$what' is not one of: tlbi, -" ;;
esac
