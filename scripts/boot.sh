#!/usr/bin/env bash
# boot.sh IMAGE INITRAMFS OUTDIR: boot the test VM under TCG with nested virtualization,
# stream progress, keep the whole console in OUTDIR/console.log and the QEMU outcome in
# OUTDIR/qemu-status ("ok", "timeout" or "exit=N").
. "$(dirname "$0")/lib.sh"

image=${1:?usage: boot.sh IMAGE INITRAMFS OUTDIR}
initrd=${2:?usage: boot.sh IMAGE INITRAMFS OUTDIR}
out=${3:?usage: boot.sh IMAGE INITRAMFS OUTDIR}
[ -f "$image" ] || die "kernel image $image missing"
[ -f "$initrd" ] || die "initramfs $initrd missing"
command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 not found (Debian package qemu-system-arm; run scripts/deps.sh)"
mkdir -p "$out"
log=$out/console.log
limit=${QEMU_TIMEOUT:-$(python3 -m harness timeout "$PLAN")}
case $KVM_MODE in
vhe) mode_arg= ;;
nvhe) mode_arg=kvm-arm.mode=nvhe ;;
protected) mode_arg=kvm-arm.mode=protected ;;
*) die "KVM_MODE=$KVM_MODE: use vhe, nvhe or protected" ;;
esac
# 1GiB pages are reserved on the kernel command line (memblock, at boot): the test kernel has no
# CONFIG_CONTIG_ALLOC to allocate them at run time.
gig_arg=
[ "$HUGEPAGES_1G" -gt 0 ] 2>/dev/null && gig_arg="hugepagesz=1G hugepages=$HUGEPAGES_1G"
append="console=ttyAMA0 panic=-1 oops=panic $mode_arg $gig_arg HARNESS_HUGEPAGES=$HUGEPAGES HARNESS_HUGEPAGES_1G=$HUGEPAGES_1G ${HARNESS_OVERCOMMIT:+HARNESS_OVERCOMMIT=$HARNESS_OVERCOMMIT} ${EXTRA_CMDLINE:-}"
# -nic none: Debian's QEMU 7.2 otherwise aborts looking for efi-virtio.rom.
qemu=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu "$QEMU_CPU" -smp "$QEMU_SMP"
      -m "$QEMU_MEM" -nographic -nic none -no-reboot -kernel "$image" -initrd "$initrd"
      -append "$append")
printf '%q ' "${qemu[@]}" >"$out/qemu-cmdline"
echo >>"$out/qemu-cmdline"
step "boot: $(basename "$(dirname "$out")")/$(basename "$out"): QEMU TCG, -cpu $QEMU_CPU, $QEMU_SMP vCPUs, $QEMU_MEM, KVM mode $KVM_MODE, global timeout ${limit}s"
info "console: $log"

timeout --kill-after=20 "$limit" "${qemu[@]}" </dev/null >"$log" 2>&1 &
qpid=$!
seen=0
show_progress() {
	local n
	n=$(wc -l <"$log")
	if [ "$n" -gt "$seen" ]; then
		sed -n "$((seen + 1)),${n}p" "$log" | tr -d '\r' | grep -E \
			'^# harness: \[|^(not )?ok [0-9]+ |kvm \[[0-9]+\]: .*mode|Kernel panic|^# harness: ERROR|^# [a-z0-9_-]+: pass:' |
			sed "s/^/    [$(elapsed)] /" || true
		seen=$n
	fi
}
while kill -0 "$qpid" 2>/dev/null; do
	sleep 5
	show_progress
done
rc=0
wait "$qpid" || rc=$?
show_progress
case $rc in
0) status=ok ;;
124|137) status=timeout ;;
*) status=exit=$rc ;;
esac
echo "$status" >"$out/qemu-status"
if [ "$status" = timeout ]; then
	warn "QEMU did not power off within ${limit}s and was killed; last console lines:"
	tail -n 15 "$log" | sed 's/^/    | /' >&2
elif [ "$status" != ok ]; then
	warn "QEMU exited with status $rc; last console lines:"
	tail -n 15 "$log" | sed 's/^/    | /' >&2
fi
step "boot: QEMU finished ($status)"
