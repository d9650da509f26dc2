#!/usr/bin/env bash
# deps.sh [GROUP...]: install the Debian packages listed in deps/GROUP (default: build), if any
# is missing.
. "$(dirname "$0")/lib.sh"

groups=("${@:-build}")
PKGS=()
for g in "${groups[@]}"; do
	list=$ROOT/deps/$g
	[ -f "$list" ] || die "scripts/deps.sh: no package list $list (groups: $(ls "$ROOT/deps" | tr '\n' ' '))"
	mapfile -t -O "${#PKGS[@]}" PKGS < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/[[:space:]]//g' "$list")
done

# (no 'dpkg-query | grep -q': with pipefail, grep leaving early can fail the pipeline)
installed() { [[ $(dpkg-query -W -f '${Status}' "$1" 2>/dev/null) == *"install ok installed"* ]]; }

missing=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	step "dependencies (${groups[*]}): all ${#PKGS[@]} Debian packages present"
	exit 0
fi
step "dependencies: installing ${missing[*]}"
command -v apt-get >/dev/null || die "apt-get not found: install these Debian packages by hand: ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "need root (or sudo) to apt-get install: ${missing[*]}"
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
run_logged "$BUILD/logs/apt-update.log" "apt-get update" $SUDO apt-get update
run_logged "$BUILD/logs/apt-install.log" "apt-get install ${missing[*]}" \
	$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
for p in "${missing[@]}"; do
	installed "$p" ||
		die "package $p is still not installed after apt-get (see $BUILD/logs/apt-install.log)"
done
step "dependencies: installed"
