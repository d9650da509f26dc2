#!/usr/bin/env bash
# send.sh: mail a series with git send-email. A dry run by default: every mail goes through a
# local SMTP stand-in into $OUTBOX (build/outbox), the envelope of each is printed and the
# outbox is checked. SEND=1 sends the same mails for real, with your git send-email settings.
#   TARGET=carry|stable|mainline  what to send and how (send/targets)
#   SEND_FROM='Name <addr>'       the sender (default: git config user.name/user.email)
#   V=N CHANGES=file              version of the posting (v2, ...: subject), and for N > 1 what
#                                 changed since the last one (the cover letter says it)
#   TO=a,b  CC=c,d                more recipients, besides get_maintainer.pl's; TARGET=carry
#                                 needs TO= (the distribution or vendor that asked for it)
#   CC_MAINTAINERS=1              TARGET=carry: add get_maintainer.pl's recipients in Cc:
#   MAINTAINERS_FILE=path         the MAINTAINERS to ask (default: Debian's linux-source-6.12)
#   MEASUREMENTS='dir ...'        where to look for the 'make compare' figures of the cover
#                                 letter (default: the last compare in build/, and
#                                 measurements/*: those of this series measured on this base
#                                 or an older revision of it, one table per CPU model and
#                                 KVM mode)
TARGET=${TARGET:-carry}
# The base is the one whose series the target sends (send/targets: its patch directory;
# bases/*: 'patches'), unless BASE says otherwise (then the two must agree, checked below).
if [ -z "${BASE:-}" ]; then
	_root=$(cd "$(dirname "$0")/.." && pwd)
	# (an unknown target leaves BASE unset: mail-target says what is wrong below)
	_vars=$(cd "$_root" && python3 -m harness mail-target "$TARGET" 2>/dev/null) && eval "$_vars"
	BASE=$(awk -v d="${t_dir:-}" '$1 == "patches" && $2 == d { n = split(FILENAME, p, "/"); print p[n]; exit }' "$_root"/bases/*)
	export BASE
fi
. "$(dirname "$0")/lib.sh"

V=${V:-1}
SEND=${SEND:-0}
OUTBOX=${OUTBOX:-$BUILD/outbox}
work=$BUILD/send
h() { python3 -m harness "$@"; }

[[ $V =~ ^[1-9][0-9]*$ ]] || die "V=$V: the version is a number (1, 2, ...)"
[[ $SEND =~ ^[01]$ ]] || die "SEND=$SEND: 1 sends for real, 0 (the default) is the dry run"
if [ "$V" -gt 1 ]; then
	[ -f "${CHANGES:-}" ] || die "V=$V: say what changed since v$((V - 1)) in a file and name it with CHANGES=file (it goes into the cover letter)"
fi
"$ROOT/scripts/deps.sh" send

# --- what: the target's patches ------------------------------------------------------------
target_vars=$(h mail-target "$TARGET") || exit 1
eval "$target_vars"
[ "$PATCHES" = "$ROOT/$t_dir" ] ||
	die "TARGET=$TARGET sends $t_dir/, but BASE=$BASE is the base of $(base_conf patches)/ (bases/$BASE); leave BASE unset"
[ -d "$PATCHES" ] || die "TARGET=$TARGET sends $t_dir/, which does not exist in $ROOT"
CC_MAINTAINERS=${CC_MAINTAINERS:-0}
[[ $CC_MAINTAINERS =~ ^[01]$ ]] || die "CC_MAINTAINERS=$CC_MAINTAINERS: 1 adds the upstream maintainers and lists in Cc:, 0 (the default) does not"
if [ "$t_maintainers" = asked ]; then
	[ -n "${TO:-}" ] || die "TARGET=$TARGET is for the distribution or vendor that asked for it, not for upstream (which takes no 6.1 carry): name who gets it with TO=addr[,addr] (CC_MAINTAINERS=1 adds the upstream maintainers and lists in Cc:)"
elif [ "$CC_MAINTAINERS" = 1 ]; then
	die "CC_MAINTAINERS=1 is for TARGET=carry; TARGET=$TARGET always addresses get_maintainer.pl's recipients"
fi
# Whoever asked for it (TO=, CC=) and nobody else: an 'asked' target without CC_MAINTAINERS=1.
asker_only=0
[ "$t_maintainers" = asked ] && [ "$CC_MAINTAINERS" = 0 ] && asker_only=1
mapfile -t series < <(series_patches)
[ ${#series[@]} -gt 0 ] || die "$PATCHES/series lists no patch: nothing to send"
n=$(printf '%s\n' "${series[@]}" | h mail-select "$t_spec") || exit 1
sel=("${series[@]:0:$n}")
step "send: TARGET=$TARGET, $n patch(es) of $t_dir/ ($t_what)"

# --- who: the sender, and the patches' identities -------------------------------------------
sender_identity
addr=$sender_addr
info "sender: $sender (from $sender_src)"
if ! problems=$(h mail-patches --sender "$sender" "${sel[@]/#/$PATCHES/}"); then
	printf '%s\n' "$problems" | sed 's/^/    | /' >&2
	die "the patches in $t_dir/ are not authored and signed off by the sender $sender; re-sign them as you with 'make resign' (SEND_FROM='$sender' make resign), review the diff of $t_dir/ and commit it, then run make send again"
fi

# --- the mails: the base with the patches, format-patch -------------------------------------
"$ROOT/scripts/prepare-base.sh" >/dev/null
tree=$work/tree
"$ROOT/scripts/apply-series.sh" "$tree" "$n" >/dev/null
# The cover letter's author and the Message-IDs that git send-email makes come from the
# committer identity: the sender's, never what this machine's git config says.
git -C "$tree" config user.name "$sender_name"
git -C "$tree" config user.email "$addr"
export GIT_COMMITTER_NAME=$sender_name GIT_COMMITTER_EMAIL=$addr GIT_AUTHOR_NAME=$sender_name GIT_AUTHOR_EMAIL=$addr
base=$(base_version)
upstream=$(cat "$BUILD/base/upstream" 2>/dev/null || true)
rm -rf "$work/mails" "$OUTBOX"
mkdir -p "$work/mails" "$OUTBOX"
fp=(format-patch -q -o "$work/mails" --subject-prefix="$t_prefix" --thread)
[ "$V" -gt 1 ] && fp+=(-v "$V")
if [ -n "$upstream" ]; then
	fp+=(--base="$upstream")
	base_line="Base: Linux $base, commit ${upstream:0:12} (the base-commit: line at the end)."
else
	base_line=$(echo "Base: v$base, Debian's $BASE_PACKAGE $(base_revision) (a tarball without git history: hence no base-commit: line)." | fmt -w 72)
fi
if [ "$n" -gt 1 ]; then
	# The cover letter: the series' own words (the cover letter in the patch directory), then
	# where each patch goes, the measured figures and how to reproduce them.
	# Every configuration measured for this series (series_id: its patches' patch ids) on
	# this base or an older revision or sublevel of it (harness/figures.py): the first, the
	# configuration of 'make check' (QEMU_CPU, KVM_MODE) when it is there, gives the main
	# table, the others follow it. A configuration found in build/ wins over its record.
	posting=(--base-line "$BASE" --base-version "$base" --base-revision "$(base_revision)")
	sid=$(h series-id "${sel[@]/#/$PATCHES/}") || die "cannot compute the series id of $t_dir/"
	# shellcheck disable=SC2086
	chosen=$(h figures-select --series-id "$sid" --config "$QEMU_CPU-$KVM_MODE" "${posting[@]}" \
		${MEASUREMENTS:-"$BUILD/run/measurements" "$ROOT"/measurements/*/} 2>"$work/figures.log") || {
		sed 's/^/    | /' "$work/figures.log" >&2
		die "no 'make compare' figures for this series (series_id $sid, on v$base or an older $BASE.y) in ${MEASUREMENTS:-$BUILD/run/measurements or measurements/}: the cover letter carries them, so run 'make compare' (and 'make record' to keep them with the series)"
	}
	mapfile -t found <<<"$chosen"
	MEASUREMENTS=${found[0]}
	also=()
	for m in "${found[@]:1}"; do also+=(--also "$m"); done
	info "measurements: ${found[*]}"
	cover_src=$PATCHES/0000-cover-letter.patch
	[ -f "$cover_src" ] || die "$cover_src is missing: it holds the cover letter's subject and text"
	{
		python3 "$ROOT/scripts/cover.py" get "$cover_src"
		echo "$base_line"
		if [ "$V" -gt 1 ]; then
			printf '\nChanges since v%d:\n' "$((V - 1))"
			cat "$CHANGES"
		fi
		echo
		h mail-cover --measurements "$MEASUREMENTS" "${also[@]}" --target "$TARGET" --table "$ROOT/$(base_conf cover_table)" \
			"${posting[@]}"
	} >"$work/description" || die "cannot write the cover letter (see the error above)"
	git -C "$tree" config branch.series.description "$(cat "$work/description")"
	fp+=(--cover-letter --cover-from-description=subject)
fi
git -C "$tree" "${fp[@]}" "$(base_ref)..HEAD"
mapfile -t mails < <(cd "$work/mails" && ls -1 -- *.patch)
if [ "$n" -eq 1 ]; then	# a lone patch says its base below the ---
	sed -i "0,/^---\$/s//---\n${base_line//$'\n'/\\n}\n/" "$work/mails/${mails[0]}"
fi

# --- to whom: get_maintainer.pl of the newest MAINTAINERS -----------------------------------
if [ -z "${MAINTAINERS_FILE:-}" ]; then
	pkgver=$(dpkg-query -W -f '${Version}' linux-source-6.12)
	mdir=$CACHE_DIR/maintainers/linux-source-6.12-$pkgver
	if [ ! -f "$mdir/scripts/get_maintainer.pl" ]; then
		mkdir -p "$mdir.tmp"
		tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$mdir.tmp" --strip-components=1 \
			linux-source-6.12/MAINTAINERS linux-source-6.12/scripts/get_maintainer.pl ||
			die "cannot extract MAINTAINERS from /usr/src/linux-source-6.12.tar.xz"
		rm -rf "$mdir" && mv "$mdir.tmp" "$mdir"
	fi
	MAINTAINERS_FILE=$mdir/MAINTAINERS
	getm=$mdir/scripts/get_maintainer.pl
else
	[ -f "$MAINTAINERS_FILE" ] || die "MAINTAINERS_FILE=$MAINTAINERS_FILE is not a file"
	getm=$(dirname "$MAINTAINERS_FILE")/scripts/get_maintainer.pl
	[ -f "$getm" ] || getm=$tree/scripts/get_maintainer.pl
fi
info "recipients: $getm --mpath $MAINTAINERS_FILE --no-git --no-git-fallback"
# send/targets "maintainers": to (maintainers in To:), cc (all in Cc:), asked (only with
# CC_MAINTAINERS=1, then in Cc:)
mode=$t_maintainers
[ "$mode" = asked ] && mode=cc
[ "$asker_only" = 1 ] &&
	info "recipients: TO=$TO only (TARGET=$TARGET; CC_MAINTAINERS=1 adds get_maintainer.pl's in Cc:)"
union=$work/recipients.all
: >"$union"
cover=
for m in "${mails[@]}"; do
	case $m in *0000-cover-letter.patch) cover=$m; continue ;; esac
	if [ "$asker_only" = 1 ]; then
		: >"$work/$m.rcpt"
		continue
	fi
	(cd "$tree" && perl "$getm" --mpath "$MAINTAINERS_FILE" --no-git --no-git-fallback --nofixes \
		--rolestats --no-tree "$work/mails/$m") >"$work/$m.getm" 2>"$work/$m.getm.err" ||
		{ cat "$work/$m.getm.err" >&2; die "get_maintainer.pl failed on $m"; }
	h mail-recipients --mode "$mode" <"$work/$m.getm" >"$work/$m.rcpt"
	cat "$work/$m.rcpt" >>"$union"
done
[ -z "$cover" ] || awk '!seen[$0]++' "$union" >"$work/$cover.rcpt"
for m in "${mails[@]}"; do
	r=$work/$m.rcpt
	# To: and Cc: headers in the file, which git send-email reads
	h mail-address "$work/mails/$m" "$r" --to "$t_to${TO:+,$TO}" --cc "${CC:-}"
done

# --- the dry run: git send-email into the local SMTP stand-in -------------------------------
step "send: dry run of ${#mails[@]} mail(s) through a local SMTP stand-in into $OUTBOX"
start_outbox "$OUTBOX" "$work/smtp.port"
trap 'kill $outbox_pid 2>/dev/null || true' EXIT
# git send-email copies the people of each patch's trailers (Signed-off-by:, Reported-by:, ...)
# into Cc:, except for a target for whoever asked for it without CC_MAINTAINERS=1.
suppress=self
[ "$asker_only" = 1 ] && suppress=all
se=(git send-email --from="$sender" --envelope-sender="$addr" --suppress-cc="$suppress" --thread
    --no-chain-reply-to --8bit-encoding=UTF-8)
if ! (cd "$tree" && "${se[@]}" --confirm=never --smtp-server=127.0.0.1 --smtp-server-port="$outbox_port" \
		--smtp-encryption=none --no-smtp-auth "${mails[@]/#/$work/mails/}") \
		</dev/null >"$BUILD/logs/send-dry-run.log" 2>&1; then
	tail -n 30 "$BUILD/logs/send-dry-run.log" | sed 's/^/    | /' >&2
	die "git send-email failed in the dry run (log: $BUILD/logs/send-dry-run.log)"
fi
kill "$outbox_pid" 2>/dev/null || true
wait "$outbox_pid" 2>/dev/null || true
trap - EXIT

# --- what went out, and whether it is right -------------------------------------------------
prefix=$t_prefix
[ "$V" -gt 1 ] && prefix+=" v$V"
expect=(--sender "$addr" --patches "$n" --prefix "$prefix")
[ "$n" -gt 1 ] && expect+=(--cover)
IFS=, read -ra must <<<"$t_to${TO:+,$TO}"
for a in "${must[@]}"; do [ -n "${a// /}" ] && expect+=(--require "$a"); done
# Only the stable target may reach stable@ (a Cc: stable in a carry reaches it without the
# cover letter); the dead kvmarm list and placeholders are refused for every target.
[ "$TARGET" = stable ] || expect+=(--forbid stable@vger.kernel.org)
# A target for whoever asked for it reaches them and nobody else, unless CC_MAINTAINERS=1.
[ "$asker_only" = 1 ] && expect+=(--only "$TO${CC:+,$CC}")
info "MAINTAINERS used: $MAINTAINERS_FILE"
if ! h mail-outbox "$OUTBOX" "${expect[@]}" | tee "$work/envelope.txt" | sed 's/^/    /'; then
	die "the dry run's mails in $OUTBOX are not right (see the OUTBOX: lines above)"
fi
step "send: ${#mails[@]} mail(s) in $OUTBOX (nothing was sent)"

if [ "$SEND" = 1 ]; then
	step "send: SEND=1: sending the same ${#mails[@]} mail(s) with your git send-email settings"
	(cd "$tree" && "${se[@]}" "${mails[@]/#/$work/mails/}") ||
		die "git send-email failed: what it sent before failing is in its output above"
fi
