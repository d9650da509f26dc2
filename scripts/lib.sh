# shellcheck shell=bash
# Common settings and helpers for the harness steps. Sourced, never run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The base tree and the series for it (bases/$BASE): 6.1 (patches/, the default) or 6.12
# (patches-mainline/). Everything that differs between them is in that file.
BASE=${BASE:-6.1}
[ -f "$ROOT/bases/$BASE" ] ||
	{ printf 'ERROR: BASE=%s: no bases/%s (have: %s)\n' "$BASE" "$BASE" "$(ls "$ROOT/bases" | tr '\n' ' ')" >&2; exit 1; }
base_conf() {	# base_conf KEY: the value of KEY in bases/$BASE
	local v
	v=$(awk -v k="$1" '$1 == k { $1 = ""; sub(/^ +/, ""); print; f = 1 } END { exit !f }' "$ROOT/bases/$BASE") ||
		{ printf 'ERROR: bases/%s has no "%s" line\n' "$BASE" "$1" >&2; exit 1; }
	printf '%s\n' "$v"
}
BASE_VERSION=$(base_conf version)
BASE_PACKAGE=$(base_conf package)
BUILD=${BUILD:-$ROOT/build}
# Each base builds and runs in a directory of its own (bases/*: build), so switching BASE
# never throws away the other's builds; idempotent, as the steps call one another.
_sub=$(base_conf build)
case $_sub in .) ;; *) case $BUILD in */"$_sub") ;; *) BUILD=$BUILD/$_sub ;; esac ;; esac
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-arm64-series}
PATCHES=${PATCHES:-$ROOT/$(base_conf patches)}
PLAN=${PLAN:-$ROOT/$(base_conf plan)}
BENCH_PLAN=${BENCH_PLAN:-$ROOT/$(base_conf bench)}
KNOWN=${KNOWN:-$ROOT/$(base_conf known)}
SUITES=${SUITES:-$ROOT/$(base_conf suites)}
BASE_TESTS=${BASE_TESTS:-$ROOT/$(base_conf base_tests)}
MEASUREMENTS_DIR=${MEASUREMENTS_DIR:-$ROOT/$(base_conf measurements)}
MUTANTS_DIR=${MUTANTS_DIR:-$ROOT/$(base_conf mutants)}
KVM_MODE=${KVM_MODE:-vhe}
QEMU_CPU=${QEMU_CPU:-max}
# The host kernel's page size: configs/page-size/$PAGE_SIZE.config, and a build directory of its
# own (obj_dir); the default keeps the historic name 'obj' so existing builds and caches stay valid.
PAGE_SIZE=${PAGE_SIZE:-4k}
[ -f "$ROOT/configs/page-size/$PAGE_SIZE.config" ] ||
	{ printf 'ERROR: PAGE_SIZE=%s: no configs/page-size/%s.config (have: %s)\n' "$PAGE_SIZE" "$PAGE_SIZE" \
		"$(cd "$ROOT/configs/page-size" && ls -- *.config | sed 's/\.config$//' | tr '\n' ' ')" >&2; exit 1; }
obj_dir() { if [ "$PAGE_SIZE" = 4k ]; then echo obj; else echo "obj-$PAGE_SIZE"; fi; }
QEMU_SMP=${QEMU_SMP:-2}
QEMU_MEM=${QEMU_MEM:-6G}
# Huge pages of the default size reserved in the test host (about 1.25GiB of them): per page size,
# from configs/page-size/hugepages.
HUGEPAGES=${HUGEPAGES:-$(awk -v ps="$PAGE_SIZE" '$1 == ps { print $3 }' "$ROOT/configs/page-size/hugepages")}
HUGEPAGES_1G=${HUGEPAGES_1G:-0}
# vm.overcommit_memory in the test host: untouched (the kernel's default, heuristic) unless set.
# dirty_log_range_test maps its 8GiB memslots with MAP_NORESERVE and needs no more.
HARNESS_OVERCOMMIT=${HARNESS_OVERCOMMIT:-}
JOBS=${JOBS:-$(nproc)}
# arm64 programs (from deps/vmm.arm64's packages) put into the test host for vmm_migrate.
VMM_PROGRAMS=${VMM_PROGRAMS:-/usr/bin/qemu-system-aarch64 /bin/busybox}
CROSS=aarch64-linux-gnu-
export CCACHE_DIR=${CCACHE_DIR:-$CACHE_DIR/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Paths below the checkout become relative for ccache, so a fresh clone elsewhere (CI) and
# 'make compare' (its own build directory) hit the cache of earlier builds.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$ROOT")}
# Reproducible build metadata: ccache hits and identical images across runs.
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=kvm-harness KBUILD_BUILD_HOST=kvm-harness
export LC_ALL=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}

KMAKE=(make ARCH=arm64 "CROSS_COMPILE=$CROSS" "CC=ccache ${CROSS}gcc" "HOSTCC=ccache gcc" -j"$JOBS")

mkdir -p "$BUILD/logs"
_T0=${_T0:-$(date +%s)}
export _T0

elapsed() {
	local s=$(( $(date +%s) - _T0 ))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

step() { printf '==> [%s] %s\n' "$(elapsed)" "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'WARNING (harness): %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# run_logged LOG DESCRIPTION CMD...: run CMD with its output in LOG; print a heartbeat
# every minute so long steps are never silent; on failure show the tail and the log path.
run_logged() {
	local log=$1 what=$2 rc=0 hb
	shift 2
	mkdir -p "$(dirname "$log")"
	( while sleep 60; do
		printf '    ... %s still running [%s], last: %s\n' "$what" "$(elapsed)" \
			"$(tail -n 1 "$log" 2>/dev/null | cut -c1-100)"
	  done ) &
	hb=$!
	"$@" >"$log" 2>&1 || rc=$?
	kill "$hb" 2>/dev/null; wait "$hb" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		printf 'ERROR: %s failed (exit %d). Last lines of %s:\n' "$what" "$rc" "$log" >&2
		tail -n 40 "$log" | sed 's/^/    | /' >&2
		die "$what failed; full log: $log"
	fi
}

# The scratch repository that holds the base tree, and the commit to build on.
base_repo() { cat "$BUILD/base/repo" 2>/dev/null || die "no base tree prepared: run 'make base' first"; }
base_ref() { cat "$BUILD/base/ref" 2>/dev/null || die "no base tree prepared: run 'make base' first"; }
base_version() { cat "$BUILD/base/version" 2>/dev/null || echo unknown; }
base_revision() { cat "$BUILD/base/revision" 2>/dev/null || true; }
# series_id: the identity of the series' figures (harness/figures.py): its patches' patch ids.
series_id() {
	local p
	p=$(series_patches) || exit 1
	[ -n "$p" ] || die "$PATCHES/series lists no patch"
	# shellcheck disable=SC2046
	python3 -m harness series-id $(printf "$PATCHES/%s\n" $p) || die "cannot compute the series id of $PATCHES"
}

# The patch files of the series, in order, checked against patches/.
series_patches() {
	local f listed present
	[ -f "$PATCHES/series" ] || die "$PATCHES/series is missing (it lists the patches in order; it may be empty)"
	listed=$(grep -v '^[[:space:]]*#' "$PATCHES/series" | sed 's/[[:space:]]*$//' | grep -v '^$' || true)
	for f in $listed; do
		[ -f "$PATCHES/$f" ] || die "$PATCHES/series lists $f, which is not in $PATCHES/"
	done
	present=$(cd "$PATCHES" && ls -1 -- *.patch 2>/dev/null | grep -v '^0000-cover-letter' || true)
	for f in $present; do
		grep -qxF -- "$f" <<<"$listed" ||
			die "$PATCHES/$f is not listed in $PATCHES/series (add it, or remove the file)"
	done
	printf '%s\n' "$listed" | grep -v '^$' || true
}

# cover_to_branch TREE: the cover letter of $PATCHES (subject and text) as the description of
# TREE's branch 'series', which 'git format-patch --cover-from-description' turns back into it.
cover_to_branch() {
	[ -f "$PATCHES/0000-cover-letter.patch" ] || return 0
	git -C "$1" config branch.series.description \
		"$(python3 "$ROOT/scripts/cover.py" get "$PATCHES/0000-cover-letter.patch")"
}

# sender_identity: the mail sender from SEND_FROM or git config user.name/user.email, checked
# against send/placeholder-addresses; sets sender ('Name <addr>'), sender_name, sender_addr
# and sender_src (where it came from), or stops saying what is wrong with it.
sender_identity() {
	local from out
	if [ -n "${SEND_FROM:-}" ]; then
		from=$SEND_FROM
		sender_src=SEND_FROM
	else
		from="$(git -C "$ROOT" config user.name || true) <$(git -C "$ROOT" config user.email || true)>"
		sender_src="git config user.name/user.email"
	fi
	out=$(python3 -m harness mail-sender "$from" 2>&1) || die "sender ($sender_src): ${out#error: }"
	sender=$out
	sender_name=${sender% <*}
	sender_addr=$(printf '%s' "$sender" | sed 's/.*<\(.*\)>.*/\1/')
}

# start_outbox OUTBOX PORTFILE: start the local SMTP stand-in (scripts/smtp-outbox.py) storing
# into OUTBOX; waits until it listens, sets outbox_pid and outbox_port.
start_outbox() {
	rm -f "$2"
	python3 "$ROOT/scripts/smtp-outbox.py" "$1" "$2" &
	outbox_pid=$!
	for _ in $(seq 100); do [ -s "$2" ] && break; sleep 0.1; done
	[ -s "$2" ] || die "the local SMTP stand-in (scripts/smtp-outbox.py) did not start"
	outbox_port=$(cat "$2")
}
