#!/usr/bin/env bash
# build-selftests.sh SRC OBJ OUT: the arm64 KVM selftests of SRC, static, against the UAPI
# headers installed from SRC into OBJ/usr (headers_install needs no .config) (so the series' own selftests are included).
. "$(dirname "$0")/lib.sh"

src=${1:?usage: build-selftests.sh SRC OBJ OUT}
obj=${2:?usage: build-selftests.sh SRC OBJ OUT}
out=${3:?usage: build-selftests.sh SRC OBJ OUT}
mkdir -p "$out" "$obj"
src=$(cd "$src" && pwd)
obj=$(cd "$obj" && pwd)
out=$(cd "$out" && pwd)

step "selftests: headers_install into $obj/usr"
run_logged "$out/headers.log" "headers_install" "${KMAKE[@]}" -C "$src" O="$obj" headers_install
step "selftests: building tools/testing/selftests/kvm (static, aarch64) into $out"
run_logged "$out/build.log" "KVM selftests build" \
	make -C "$src/tools/testing/selftests/kvm" -j"$JOBS" ARCH=arm64 CROSS_COMPILE="$CROSS" \
	KHDR_INCLUDES="-isystem $obj/usr/include" EXTRA_CFLAGS=-static OUTPUT="$out"
# Harness benchmark programs written against the selftest library (init/kvm_*.c), linked with
# the objects the build above produced, with the same include paths and flags.
kvm=$src/tools/testing/selftests/kvm
for prog in kvm_unmap_bench; do
	run_logged "$out/$prog.log" "harness program $prog" \
		"${CROSS}gcc" -static -O2 -g -std=gnu99 -Wall -Werror -fno-stack-protector \
		-fno-PIE -no-pie -I"$src/tools/include" -I"$src/tools/arch/arm64/include" \
		-I"$src/tools/arch/arm64/include/generated" \
		-isystem "$obj/usr/include" -I"$kvm/include" -I"$kvm/include/aarch64" -I"$kvm/.." \
		-o "$out/$prog" "$ROOT/init/$prog.c" "$out"/lib/*.o "$out"/lib/aarch64/*.o -pthread -ldl
done
n=$(find "$out" -type f -perm -u+x ! -name '*.o' ! -name '*.d' | wc -l)
[ "$n" -gt 0 ] || die "the selftests build produced no programs in $out (see $out/build.log)"
step "selftests: $n programs"
