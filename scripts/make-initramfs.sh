#!/usr/bin/env bash
# make-initramfs.sh OBJ SELFTESTS OUT.cpio: init (static aarch64), the plan and every selftest
# program, packed by the tree's own usr/gen_init_cpio (no root needed, uncompressed).
. "$(dirname "$0")/lib.sh"

obj=${1:?usage: make-initramfs.sh OBJ SELFTESTS OUT.cpio}
tests=${2:?usage: make-initramfs.sh OBJ SELFTESTS OUT.cpio}
cpio=${3:?usage: make-initramfs.sh OBJ SELFTESTS OUT.cpio}
gen=$obj/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen missing: build the kernel first (scripts/build-kernel.sh)"
python3 -m harness check-plan "$PLAN" "$KNOWN" >/dev/null || die "the plan $PLAN is invalid (see above)"

work=$(dirname "$cpio")/initramfs
mkdir -p "$work"
step "initramfs: init, plan ($PLAN) and selftests from $tests"
for prog in init kvmbench; do
	"${CROSS}gcc" -static -O2 -Wall -Wextra -Werror -o "$work/$prog" "$ROOT/init/$prog.c" ||
		die "building init/$prog.c for aarch64 failed"
done

list=$work/cpio.list
{
	printf 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n'
	for d in /proc /sys /mnt /mnt/huge /kvm /root; do printf 'dir %s 0755 0 0\n' "$d"; done
	printf 'dir /tmp 1777 0 0\n'
	printf 'file /init %s 0755 0 0\n' "$work/init"
	printf 'file /plan %s 0644 0 0\n' "$PLAN"
	printf 'file /kvm/kvmbench %s 0755 0 0\n' "$work/kvmbench"
	(cd "$tests" && find . -mindepth 1 -type d ! -name '*.d' | sort) | while read -r d; do
		printf 'dir /kvm/%s 0755 0 0\n' "${d#./}"
	done
	(cd "$tests" && find . -type f -perm -u+x ! -name '*.o' ! -name '*.d' | sort) | while read -r f; do
		printf 'file /kvm/%s %s 0755 0 0\n' "${f#./}" "$tests/${f#./}"
	done
} >"$list"
# Every program the plan runs must be in the image (for kvmbench, also the one it runs).
while read -r prog; do
	grep -q "^file /kvm/${prog#./} " "$list" ||
		die "the plan runs $prog, which the selftests build did not produce (is it in tools/testing/selftests/kvm/Makefile for aarch64?)"
done < <(python3 -c 'import sys; from harness import plan
for e in plan.load_plan(sys.argv[1]):
    print(e.argv[0])
    if e.argv[0] == "kvmbench" and "--" in e.argv[:-1]:
        print(e.argv[e.argv.index("--") + 1])' "$PLAN" | sort -u)
"$gen" "$list" >"$cpio.tmp" || die "gen_init_cpio failed on $list"
mv "$cpio.tmp" "$cpio"
step "initramfs: $(du -h "$cpio" | cut -f1) $cpio"
