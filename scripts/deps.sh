#!/usr/bin/env bash
# deps.sh [GROUP...]: install the Debian packages listed in deps/GROUP (default: build vmm), if
# any is missing; for a list deps/GROUP.arm64, download those arm64 packages and their
# dependency closure into $CACHE_DIR/arm64/GROUP (unpacked, never installed; see fetch_arm64).
. "$(dirname "$0")/lib.sh"

groups=("${@:-build}")
[ $# -gt 0 ] || groups+=(vmm)
packages() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/[[:space:]]//g' "$1"; }
PKGS=()
FOREIGN=()
for g in "${groups[@]}"; do
	list=$ROOT/deps/$g
	if [ -f "$list.arm64" ]; then
		FOREIGN+=("$g")
		continue
	fi
	[ -f "$list" ] || die "scripts/deps.sh: no package list $list (groups: $(ls "$ROOT/deps" | tr '\n' ' '))"
	mapfile -t -O "${#PKGS[@]}" PKGS < <(packages "$list")
done

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

# fetch_arm64 GROUP: the arm64 packages of deps/GROUP.arm64 and everything they depend on
# (apt's closure, arm64 packages only: arch-all ones hold no code), downloaded and unpacked
# into $CACHE_DIR/arm64/GROUP/root. Keyed by the exact package files, so a Debian update
# refetches and an unchanged list costs one 'apt-get download --print-uris'.
fetch_arm64() {
	local g=$1 dest=$CACHE_DIR/arm64/$1 roots closure uris key tmp log=$BUILD/logs/deps-$1-arm64.log
	mapfile -t roots < <(packages "$ROOT/deps/$g.arm64" | sed 's/$/:arm64/')
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		step "dependencies ($g): enabling arm64 packages (dpkg --add-architecture arm64)"
		$SUDO dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed (need root or sudo)"
		run_logged "$BUILD/logs/apt-update.log" "apt-get update" $SUDO apt-get update
	elif ! apt-cache show "${roots[0]}" >/dev/null 2>&1; then
		run_logged "$BUILD/logs/apt-update.log" "apt-get update" $SUDO apt-get update
	fi
	closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "${roots[@]}" 2>"$log" | grep '^[a-z0-9][^ ]*:arm64$' | sort -u) ||
		die "cannot resolve the arm64 packages of deps/$g.arm64 (${roots[*]}): see $log"
	# shellcheck disable=SC2086
	uris=$(apt-get download --print-uris $closure 2>>"$log") ||
		die "apt cannot fetch the arm64 packages of deps/$g.arm64 (is arm64 in the apt sources?): see $log"
	key=$(printf '%s\n' "$uris" | awk '{print $2}' | sort | sha256sum | cut -c1-16)
	if [ "$(cat "$dest/key" 2>/dev/null)" = "$key" ] && [ -d "$dest/root" ]; then
		step "dependencies ($g): $(wc -l <<<"$closure") arm64 packages unpacked in $dest"
		return 0
	fi
	step "dependencies ($g): downloading $(wc -l <<<"$closure") arm64 packages into $dest"
	tmp=$dest.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp/debs" "$tmp/root"
	# shellcheck disable=SC2086
	run_logged "$log" "apt-get download (arm64: deps/$g.arm64)" \
		sh -c 'cd "$1" && shift && apt-get download "$@"' sh "$tmp/debs" $closure
	for deb in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root" || die "cannot unpack $deb"
	done
	echo "$key" >"$tmp/key"
	printf '%s\n' "$closure" >"$tmp/packages"
	rm -rf "$tmp/debs" "$dest"
	mv "$tmp" "$dest"
	step "dependencies ($g): unpacked into $dest"
}

# (no 'dpkg-query | grep -q': with pipefail, grep leaving early can fail the pipeline)
installed() { [[ $(dpkg-query -W -f '${Status}' "$1" 2>/dev/null) == *"install ok installed"* ]]; }

missing=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ ${#PKGS[@]} -eq 0 ]; then
	:
elif [ ${#missing[@]} -eq 0 ]; then
	step "dependencies (${groups[*]}): all ${#PKGS[@]} Debian packages present"
else
	step "dependencies: installing ${missing[*]}"
	command -v apt-get >/dev/null || die "apt-get not found: install these Debian packages by hand: ${missing[*]}"
	[ -z "$SUDO" ] || command -v sudo >/dev/null || die "need root (or sudo) to apt-get install: ${missing[*]}"
	run_logged "$BUILD/logs/apt-update.log" "apt-get update" $SUDO apt-get update
	run_logged "$BUILD/logs/apt-install.log" "apt-get install ${missing[*]}" \
		$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
	for p in "${missing[@]}"; do
		installed "$p" ||
			die "package $p is still not installed after apt-get (see $BUILD/logs/apt-install.log)"
	done
	step "dependencies: installed"
fi
for g in "${FOREIGN[@]}"; do
	fetch_arm64 "$g"
done
