#!/usr/bin/env bash
# make-initramfs.sh OBJ SELFTESTS OUT.cpio: init (static aarch64), the plan and every selftest
# program, packed by the tree's own usr/gen_init_cpio (no root needed, uncompressed). When the
# plan runs vmm_migrate, also the arm64 QEMU (scripts/deps.sh vmm) with the libraries it needs
# and the self-checking guest (guest/).
. "$(dirname "$0")/lib.sh"

obj=${1:?usage: make-initramfs.sh OBJ SELFTESTS OUT.cpio}
tests=${2:?usage: make-initramfs.sh OBJ SELFTESTS OUT.cpio}
cpio=${3:?usage: make-initramfs.sh OBJ SELFTESTS OUT.cpio}
gen=$obj/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen missing: build the kernel first (scripts/build-kernel.sh)"
python3 -m harness check-plan "$PLAN" >/dev/null || die "the plan $PLAN is invalid (see above)"

work=$(dirname "$cpio")/initramfs
mkdir -p "$work"
step "initramfs: init, plan ($PLAN) and selftests from $tests"
for prog in init kvmbench vmm_migrate; do
	"${CROSS}gcc" -static -O2 -Wall -Wextra -Werror -o "$work/$prog" "$ROOT/init/$prog.c" ||
		die "building init/$prog.c for aarch64 failed"
done

# The VMM and its guest, for the plan's migration scenarios.
vmm_list=$work/vmm.list
: >"$vmm_list"
if python3 -c 'import sys; from harness import plan
sys.exit(not any("vmm_migrate" in e.argv for e in plan.load_plan(sys.argv[1])))' "$PLAN"; then
	vmm_root=$CACHE_DIR/arm64/vmm/root
	[ -d "$vmm_root" ] || die "the plan runs vmm_migrate, but $vmm_root is missing: run scripts/deps.sh vmm (arm64 QEMU)"
	mkdir -p "$work/guest"
	make -s -C "$ROOT/guest" CROSS="$CROSS" O="$(cd "$work/guest" && pwd)" >"$BUILD/logs/guest.log" 2>&1 ||
		die "building the self-checking guest (guest/) failed: see $BUILD/logs/guest.log"
	python3 -m harness elf-closure --readelf "${CROSS}readelf" "$vmm_root" $VMM_PROGRAMS >"$vmm_list" ||
		die "cannot collect $VMM_PROGRAMS and their libraries from $vmm_root (scripts/deps.sh vmm)"
	# QEMU runs "/bin/sh -c" for exec: migration streams (init/vmm_migrate.c).
	printf 'slink /bin/sh /bin/busybox 0777 0 0\n' >>"$vmm_list"
	printf 'dir /guest 0755 0 0\nfile /guest/selfcheck.elf %s 0644 0 0\n' "$(cd "$work/guest" && pwd)/selfcheck.elf" >>"$vmm_list"
fi

list=$work/cpio.list
{
	printf 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n'
	for d in /proc /sys /mnt /mnt/huge /kvm /root; do printf 'dir %s 0755 0 0\n' "$d"; done
	printf 'dir /tmp 1777 0 0\n'
	printf 'file /init %s 0755 0 0\n' "$work/init"
	printf 'file /plan %s 0644 0 0\n' "$PLAN"
	printf 'file /kvm/kvmbench %s 0755 0 0\n' "$work/kvmbench"
	printf 'file /kvm/vmm_migrate %s 0755 0 0\n' "$work/vmm_migrate"
	cat "$vmm_list"
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
