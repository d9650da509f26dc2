#!/usr/bin/env bash
# test-send.sh: 'make check's test of 'make send', in a copy of this checkout (so patches/ is
# never touched) with a build directory of its own. Nothing is mailed: every send is a dry run
# into the copy's outbox. It checks that send refuses a placeholder sender, a missing sender,
# patches not signed by the sender and a target without patches, each with its message; then
# re-signs the copy's series as a test sender ('make resign') and checks that the carry, stable
# and mainline dry runs produce the mails they must (send.sh checks each outbox itself), with
# figures this test makes (fixtures), and that figures of another series or of a newer base
# are refused.
. "$(dirname "$0")/lib.sh"
# The carry is the whole series, with a cover letter.
npatches=$(series_patches | wc -l)
nmainline=$(PATCHES=$ROOT/$(BASE=6.12 base_conf patches) series_patches | wc -l)

t=$BUILD/send-test
rm -rf "$t"
mkdir -p "$t/repo"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zv '^build/' | xargs -0 cp --parents -t "$t/repo")
TESTER='Test Sender <test.sender@kvm-arm64-series-ci.dev>'
PLACEHOLDER='Seed 11b0d8d3 maintainers <maintainers@users.noreply.h-seed-11b0d8d3.example>'
DISTRO=debian-kernel@lists.debian.org	# who asked for the carry (TO=, which TARGET=carry needs)
pass=0
fail=0

# expect NAME OK|FAIL 'pattern in the output' VAR=value...: run 'make send' (or another
# target: MAKE_TARGET=) in the copy with those variables; check the outcome and the message.
expect() {
	local name=$1 want=$2 pattern=$3 rc=0 log=$t/$1.log
	shift 3
	# BASE unset unless the case sets it: make send chooses it from TARGET, as for a user
	env -u BASE BUILD="$t/build" "$@" make -s -C "$t/repo" "${MAKE_TARGET:-send}" >"$log" 2>&1 || rc=$?
	if { [ "$want" = OK ] && [ "$rc" -eq 0 ]; } || { [ "$want" = FAIL ] && [ "$rc" -ne 0 ]; }; then
		if grep -qF -- "$pattern" "$log"; then
			info "ok   $name"
			pass=$((pass + 1))
			return 0
		fi
		info "FAIL $name: the output does not say \"$pattern\" ($log)"
	else
		info "FAIL $name: exit $rc, expected $want ($log)"
	fi
	tail -n 15 "$log" | sed 's/^/        | /'
	fail=$((fail + 1))
}

# The copy's figures are made here (fixtures), never the committed ones: measurements/ holds
# what was measured on some revision of each base, and the test must pass on whatever
# revision apt serves. The 6.1 series gets figures "measured" on an older Debian revision of
# the base of the day (6.1.192-2 -> -3), the mainline series on an older sublevel (6.12.117 ->
# .118); make send must take them and say so. Decoys it must pass over: another series, and a
# newer base.
rm -rf "$t/repo/measurements"
mkdir -p "$t/repo/measurements"
# base_of BASE: "version revision" of that base as prepared
base_of() { BASE=$1 "$ROOT/scripts/prepare-base.sh" >/dev/null && BASE=$1 bash -c '. "$1/scripts/lib.sh"; echo "$(base_version) $(base_revision)"' sh "$ROOT"; }
read -r v61 r61 < <(base_of 6.1) || die "send test: cannot prepare the 6.1 base for its fixtures"
read -r v612 r612 < <(base_of 6.12) || die "send test: cannot prepare the 6.12 base for its fixtures"
older612=${v612%.*}.$(( ${v612##*.} - 1 ))
newer612=${v612%.*}.$(( ${v612##*.} + 1 ))
sid61=$(series_id)
sid612=$(BASE=6.12 PATCHES=$ROOT/$(BASE=6.12 base_conf patches) series_id)
fixture() {	# fixture BASE DIR SERIES_ID VERSION REVISION: figures of that series on that base
	python3 -m harness figures-fixture --table "$ROOT/$(BASE=$1 base_conf cover_table)" "$t/repo/measurements/$2" \
		series_id="$3" base_line="$1" base_version="$4" base_revision="$5" patches=1 ||
		die "send test: cannot write the fixture $2"
}
# (dpkg orders 6.1.192-0~fixture before every real revision of 6.1.192)
fixture 6.1 linux-fixture-6.1-max-vhe "$sid61" "$v61" "$v61-0~fixture"
fixture 6.1 linux-fixture-6.1-other-series-neoverse-n1-vhe 0123456789abcdef0123456789abcdef01234567 "$v61" "$r61"
fixture 6.12 linux-fixture-6.12-max-vhe "$sid612" "$older612" "$older612-1~fixture"
fixture 6.12 linux-fixture-6.12-newer-neoverse-n1-vhe "$sid612" "$newer612" "$newer612-1~fixture"

step "send test: make send refusals and dry runs in a copy ($t/repo)"
expect refuses-placeholder-sender FAIL 'is a placeholder or reserved address' SEND_FROM="$PLACEHOLDER" TO=$DISTRO
expect refuses-missing-sender FAIL 'no sender address' SEND_FROM= GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 TO=$DISTRO
expect refuses-unsigned-patches FAIL "are not authored and signed off by the sender" SEND_FROM="$TESTER" TO=$DISTRO
mv "$t/repo/patches-mainline" "$t/patches-mainline.away"
expect refuses-missing-series FAIL 'sends patches-mainline/, which does not exist' SEND_FROM="$TESTER" TARGET=mainline
mv "$t/patches-mainline.away" "$t/repo/patches-mainline"
expect refuses-base-mismatch FAIL 'BASE=6.1 is the base of patches/' SEND_FROM="$TESTER" TARGET=mainline BASE=6.1
expect refuses-bad-version FAIL 'V=x: the version is a number' SEND_FROM="$TESTER" V=x
expect refuses-bad-send FAIL 'SEND=yes: 1 sends for real' SEND_FROM="$TESTER" SEND=yes
expect refuses-unknown-target FAIL 'TARGET=next is not one of' SEND_FROM="$TESTER" TARGET=next
MAKE_TARGET=resign expect resign OK "review the change" SEND_FROM="$TESTER"
# The carry goes to whoever asked for it (TO=), and to nobody else unless CC_MAINTAINERS=1.
expect refuses-carry-without-to FAIL 'is for the distribution or vendor that asked for it' SEND_FROM="$TESTER" TARGET=carry
expect refuses-bad-cc-maintainers FAIL 'CC_MAINTAINERS=yes: 1 adds' SEND_FROM="$TESTER" TARGET=carry TO=$DISTRO CC_MAINTAINERS=yes
expect carry-cc-maintainers OK "$((npatches + 1)) mail(s) in" SEND_FROM="$TESTER" TARGET=carry TO=$DISTRO CC_MAINTAINERS=1
out=$t/build/outbox
# rcpts_of OUTBOX: every envelope recipient of every mail, one a line, sorted and unique
rcpts_of() { cut -f3 "$1/envelope.tsv" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep . | sort -u; }
# to_of OUTBOX: the addresses of every To: header
to_of() { python3 -c 'import email, email.utils, glob, sys; print("\n".join(sorted({a.lower() for f in glob.glob(sys.argv[1] + "/*.eml") for _, a in email.utils.getaddresses(email.message_from_binary_file(open(f, "rb")).get_all("To", []))})))' "$1"; }
if rcpts_of "$out" | grep -qx 'kvmarm@lists.linux.dev' && rcpts_of "$out" | grep -qx "$DISTRO" &&
   ! rcpts_of "$out" | grep -qx 'stable@vger.kernel.org' && [ "$(to_of "$out")" = "$DISTRO" ]; then
	info "ok   carry-cc-maintainers-recipients (To: $DISTRO only; kvmarm@lists.linux.dev in Cc:; no stable@)"
	pass=$((pass + 1))
else
	info "FAIL carry-cc-maintainers-recipients: To: is not $DISTRO alone, kvmarm@lists.linux.dev is not in Cc:, or stable@ reached ($out)"
	fail=$((fail + 1))
fi
expect carry-dry-run OK "$((npatches + 1)) mail(s) in" SEND_FROM="$TESTER" TARGET=carry TO=$DISTRO
if [ "$(rcpts_of "$out")" = "$DISTRO" ] && [ "$(grep -c . "$out/envelope.tsv")" = "$((npatches + 1))" ]; then
	info "ok   carry-recipients ($DISTRO alone, in every one of $((npatches + 1)) envelopes)"
	pass=$((pass + 1))
else
	info "FAIL carry-recipients: the envelopes reach more or other than $DISTRO: $(rcpts_of "$out" | tr '\n' ' ') ($out/envelope.tsv)"
	fail=$((fail + 1))
fi
# measured_on NAME OUTBOX 'MEASURED' 'POSTED': the cover letter names the fixture's older base
# and the posting's own, and carries no decoy's table.
measured_on() {
	local name=$1 box=$2 measured=$3 posted=$4 cover
	cover=$(python3 -c 'import email, email.policy, sys; m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default); print(m.get_body().get_content())' "$box/0001.eml" | tr '\n' ' ' | tr -s ' ')
	if [[ $cover == *"Measured on $measured with these patches; this posting is based on $posted "* ]] &&
	   [[ $cover != *"The same under"* ]]; then
		info "ok   $name (measured on $measured, posted on $posted; no decoy figures)"
		pass=$((pass + 1))
	else
		info "FAIL $name: $box/0001.eml does not say it was measured on $measured and posted on $posted, or carries a decoy's table"
		fail=$((fail + 1))
	fi
}
measured_on carry-measured-on "$out" "v$v61 (Debian $v61-0~fixture)" "v$v61 (Debian $r61)"
expect refuses-other-series FAIL 'figures of another series' SEND_FROM="$TESTER" TARGET=carry TO=$DISTRO \
	MEASUREMENTS="$t/repo/measurements/linux-fixture-6.1-other-series-neoverse-n1-vhe"
expect stable-dry-run OK '1 mail(s) in' SEND_FROM="$TESTER" TARGET=stable
expect refuses-cc-maintainers-for-stable FAIL 'CC_MAINTAINERS=1 is for TARGET=carry' SEND_FROM="$TESTER" TARGET=stable CC_MAINTAINERS=1
# The mainline series (BASE=6.12, chosen by the target), re-signed the same way.
MAKE_TARGET=resign expect resign-mainline OK "review the change" SEND_FROM="$TESTER" BASE=6.12
expect mainline-dry-run OK "$((nmainline + 1)) mail(s) in" SEND_FROM="$TESTER" TARGET=mainline
mout=$t/build/$(BASE=6.12 base_conf build)/outbox	# BASE=6.12 builds (and sends) in its own directory
if grep -q 'stable@vger.kernel.org' "$mout/envelope.tsv" || ! grep -q 'kvmarm@lists.linux.dev' "$mout/envelope.tsv" ||
   ! grep -q "^Subject: \[RFC PATCH 0/$nmainline\]" "$mout/0001.eml"; then
	info "FAIL mainline-mails: stable@ reached, kvmarm@lists.linux.dev missing or no [RFC PATCH 0/$nmainline] cover letter ($mout)"
	fail=$((fail + 1))
else
	info "ok   mainline-mails ([RFC PATCH 0/$nmainline], kvmarm@lists.linux.dev, no stable@)"
	pass=$((pass + 1))
fi
measured_on mainline-measured-on "$mout" "v$older612 (Debian $older612-1~fixture)" "v$v612 (Debian $r612)"
expect refuses-newer-base FAIL "newer than this posting's base" SEND_FROM="$TESTER" TARGET=mainline \
	MEASUREMENTS="$t/repo/measurements/linux-fixture-6.12-newer-neoverse-n1-vhe"
expect refuses-v2-without-changes FAIL 'V=2: say what changed since v1' SEND_FROM="$TESTER" V=2 TO=$DISTRO
printf -- '- patch 11: the detached table is freed by its own walk\n' >"$t/changes"
expect carry-v2-dry-run OK "[PATCH 6.1 carry v2 00/$npatches]" SEND_FROM="$TESTER" TARGET=carry V=2 CHANGES="$t/changes" TO=$DISTRO
# SEND=1 with a user's configuration (here: an SMTP server on 127.0.0.1, a second stand-in):
# after its own dry run, the same mail goes out through the configured server.
start_outbox "$t/server-outbox" "$t/server.port"
server=$outbox_pid
trap 'kill $server 2>/dev/null || true' EXIT
printf '[sendemail]\n\tsmtpServer = 127.0.0.1\n\tsmtpServerPort = %s\n\tsmtpEncryption = none\n\tconfirm = never\n' \
	"$outbox_port" >"$t/user.gitconfig"
expect stable-send OK 'SEND=1: sending the same 1 mail(s)' SEND_FROM="$TESTER" TARGET=stable SEND=1 \
	GIT_CONFIG_GLOBAL="$t/user.gitconfig"
kill "$server" 2>/dev/null || true
if [ "$(ls "$t/server-outbox" 2>/dev/null | grep -c '\.eml$')" = 1 ] &&
   grep -q '^Subject: \[PATCH 6.1.y\] KVM: selftests: Fix the arm64 build' "$t/server-outbox/0001.eml" &&
   grep -q $'\tstable@vger.kernel.org' "$t/server-outbox/envelope.tsv"; then
	info "ok   stable-send-delivered (the configured server got the dry run's mail)"
	pass=$((pass + 1))
else
	info "FAIL stable-send-delivered: $t/server-outbox does not hold the one stable mail"
	fail=$((fail + 1))
fi
info "send test: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || die "make send test failed (logs in $t)"
