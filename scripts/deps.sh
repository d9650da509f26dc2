#!/usr/bin/env bash
# Install what the harness needs from Debian's archive, if anything is missing.
. "$(dirname "$0")/lib.sh"

PKGS=(linux-source-6.1 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm sparse
      bc bison flex libssl-dev libelf-dev cpio ccache xz-utils git git-email rsync python3 perl
      make gcc libc6-dev kmod python3-ply)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	step "dependencies: all ${#PKGS[@]} Debian packages present"
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
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		die "package $p is still not installed after apt-get (see $BUILD/logs/apt-install.log)"
done
step "dependencies: installed"
