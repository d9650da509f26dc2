#!/usr/bin/env bash
# Prepare the base tree: the Debian package of bases/$BASE (linux-source-6.1 by default) or
# KERNEL_SRC, as a scratch git repository whose commit is the base every build starts from.
# The user's tree is never modified; its version must be the one the base's series targets.
# BASE_REVISION=<Debian version> (e.g. 6.1.192-2) builds on that revision of the package, as
# apt still serves it, instead of the installed one.
. "$(dirname "$0")/lib.sh"

mkdir -p "$BUILD/base" "$CACHE_DIR/base"
# Deterministic base commits: the same tree always gives the same commit id.
export GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost GIT_COMMITTER_NAME=base \
	GIT_COMMITTER_EMAIL=base@localhost GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' \
	GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'

commit_snapshot() {	# commit_snapshot DIR MESSAGE: (re)commit DIR's whole content as "base"
	local dir=$1 msg=$2
	[ -d "$dir/.git" ] || git -C "$dir" init -q
	# No automatic gc: after committing a whole tree it would pack and prune the loose objects
	# in the background while the next step clones them ("failed to copy file ... No such file").
	git -C "$dir" config gc.auto 0
	# linux-source's top-level .gitignore ignores every top-level path: add with -f.
	git -C "$dir" add -f -A .
	if ! git -C "$dir" rev-parse -q --verify base >/dev/null ||
	   ! git -C "$dir" diff --cached --quiet base; then
		git -C "$dir" commit -q --allow-empty -m "$msg"
		git -C "$dir" tag -f base >/dev/null
	fi
}

[ -z "${KERNEL_SRC:-}" ] || [ -z "${BASE_REVISION:-}" ] ||
	die "KERNEL_SRC=$KERNEL_SRC and BASE_REVISION=$BASE_REVISION: a revision pins Debian's $BASE_PACKAGE; give one or the other"
if [ -n "${KERNEL_SRC:-}" ]; then
	[ -d "$KERNEL_SRC" ] || die "KERNEL_SRC=$KERNEL_SRC is not a directory"
	src=$(cd "$KERNEL_SRC" && pwd -P)
	version=$(python3 -m harness tree-version --want "$BASE_VERSION" "$src" 2>&1) || die "KERNEL_SRC: ${version#error: }"
	top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null || true)
	if [ "$top" = "$src" ]; then
		ref=$(git -C "$src" rev-parse --verify HEAD^{commit}) ||
			die "KERNEL_SRC=$src is a git tree without a HEAD commit"
		if [ -n "$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null | head -1)" ]; then
			warn "KERNEL_SRC=$src has uncommitted changes; the base is its HEAD ($ref) without them"
		fi
		repo=$src
		upstream=$ref
		step "base: KERNEL_SRC git tree $src at $(git -C "$src" log -1 --format='%h %s' "$ref") (Linux $version)"
	else
		key=dir-$(printf '%s' "$src" | sha256sum | cut -c1-16)
		repo=$CACHE_DIR/base/$key
		step "base: copying KERNEL_SRC=$src (Linux $version) into $repo"
		mkdir -p "$repo"
		run_logged "$BUILD/logs/base-rsync.log" "copy of $src" \
			rsync -a --delete --exclude=/.git "$src/" "$repo/"
		commit_snapshot "$repo" "base: Linux $version from $src"
		ref=$(git -C "$repo" rev-parse base)
	fi
else
	if [ -n "${BASE_REVISION:-}" ]; then
		# A pinned revision (to reproduce figures measured on it): its package is downloaded
		# and unpacked into the cache; the installed revision, if another, is left alone.
		pkgver=$BASE_REVISION
		tarball=$CACHE_DIR/base/deb/$BASE_PACKAGE-$pkgver/usr/src/$BASE_PACKAGE.tar.xz
		if [ ! -f "$tarball" ]; then
			"$ROOT/scripts/deps.sh" >/dev/null
			have=$(apt-cache madison "$BASE_PACKAGE" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -u | tr '\n' ' ')
			case " $have " in
			*" $pkgver "*) ;;
			*) die "BASE_REVISION=$pkgver: apt has no $BASE_PACKAGE $pkgver (it has: ${have:-none}; 'apt-get update' first if the list is old)" ;;
			esac
			d=$CACHE_DIR/base/deb/$BASE_PACKAGE-$pkgver
			rm -rf "$d.tmp" && mkdir -p "$d.tmp"
			step "base: downloading Debian $BASE_PACKAGE $pkgver (BASE_REVISION)"
			run_logged "$BUILD/logs/base-download.log" "apt-get download $BASE_PACKAGE=$pkgver" \
				sh -c 'cd "$1" && apt-get download "$2"' sh "$d.tmp" "$BASE_PACKAGE=$pkgver"
			run_logged "$BUILD/logs/base-download.log" "unpacking $BASE_PACKAGE $pkgver" \
				sh -c 'dpkg-deb -x "$1"/*.deb "$1/root"' sh "$d.tmp"
			[ -f "$d.tmp/root/usr/src/$BASE_PACKAGE.tar.xz" ] ||
				die "Debian $BASE_PACKAGE $pkgver has no /usr/src/$BASE_PACKAGE.tar.xz (log: $BUILD/logs/base-download.log)"
			rm -rf "$d" && mkdir -p "$d" && mv "$d.tmp/root/usr" "$d/" && rm -rf "$d.tmp"
		fi
	else
		tarball=/usr/src/$BASE_PACKAGE.tar.xz
		if [ ! -f "$tarball" ]; then
			"$ROOT/scripts/deps.sh"
		fi
		[ -f "$tarball" ] || die "$tarball is missing although $BASE_PACKAGE is installed; reinstall it (apt-get install --reinstall $BASE_PACKAGE)"
		pkgver=$(dpkg-query -W -f '${Version}' "$BASE_PACKAGE")
	fi
	repo=$CACHE_DIR/base/debian-$pkgver
	if ! git -C "$repo" rev-parse -q --verify base >/dev/null 2>&1; then
		step "base: extracting Debian $BASE_PACKAGE $pkgver into $repo"
		tmp=$repo.tmp.$$
		rm -rf "$tmp" && mkdir -p "$tmp"
		run_logged "$BUILD/logs/base-extract.log" "extracting $tarball" \
			tar -xf "$tarball" -C "$tmp" --strip-components=1
		version=$(python3 -m harness tree-version --want "$BASE_VERSION" "$tmp" 2>&1) || die "$tarball: ${version#error: }"
		run_logged "$BUILD/logs/base-commit.log" "committing the base tree" \
			commit_snapshot "$tmp" "base: Linux $version (Debian $BASE_PACKAGE $pkgver)"
		rm -rf "$repo" && mv "$tmp" "$repo"
	fi
	version=$(python3 -m harness tree-version --want "$BASE_VERSION" "$repo" 2>&1) || die "$repo: ${version#error: }"
	ref=$(git -C "$repo" rev-parse base)
	step "base: Debian $BASE_PACKAGE $pkgver, Linux $version ($repo)"
fi

# (also for a base extracted before gc.auto was set; never for the user's own git tree)
[ "$repo" = "${src:-}" ] || git -C "$repo" config gc.auto 0
printf '%s\n' "$repo" >"$BUILD/base/repo"
# A real commit of the user's git tree (a 'base-commit:' for the mails), or nothing.
printf '%s\n' "${upstream:-}" >"$BUILD/base/upstream"
printf '%s\n' "$ref" >"$BUILD/base/ref"
printf '%s\n' "$version" >"$BUILD/base/version"
# The Debian package's revision of the base, or nothing for a user's tree.
printf '%s\n' "${pkgver:-}" >"$BUILD/base/revision"
