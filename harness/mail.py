"""Sending the series: sender identity, the patches' identities, the cover letter's measured
part, and the checks of what a dry run put in the outbox."""
import email
import email.policy
import email.utils
import fnmatch
import json
import os
import re
import textwrap
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from . import figures, results

TEMPLATE_TEXT = ('*** SUBJECT HERE ***', '*** BLURB HERE ***')
DEAD_LISTS = ('lists.cs.columbia.edu',)
# Trailers that name a person or a list in a commit message.
PERSON_TRAILER = re.compile(r'^(Signed-off-by|Co-developed-by|Reviewed-by|Acked-by|Tested-by|'
                            r'Reported-by|Suggested-by|Cc):\s*(.+)$', re.M | re.I)


class MailError(Exception):
    pass


# ---- identities -------------------------------------------------------------------------

def _data_lines(path: str):
    """(line number, line without its newline) of a data file, less blank and '#' lines."""
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if line.strip() and not line.lstrip().startswith('#'):
                yield n, line.rstrip('\n')


def load_patterns(path: str) -> List[str]:
    return [line.strip() for _, line in _data_lines(path)]


def is_placeholder(addr: str, patterns: List[str]) -> bool:
    addr = addr.strip().lower()
    domain = addr.rpartition('@')[2]
    return '.' not in domain or any(fnmatch.fnmatchcase(addr, p.lower()) for p in patterns)


def parse_identity(spec: str) -> Tuple[str, str]:
    name, addr = email.utils.parseaddr(spec or '')
    return name.strip(), addr.strip()


def check_sender(spec: str, patterns: List[str]) -> Tuple[str, str]:
    """The sender 'Name <address>', or MailError saying what is wrong with it."""
    name, addr = parse_identity(spec)
    if not spec or not addr or '@' not in addr:
        raise MailError(f"no sender address in '{spec}': set git config user.name/user.email, "
                        "or SEND_FROM='Your Name <you@your.domain>'")
    if not name or '@' in name:
        raise MailError(f"the sender '{spec}' has no real name: a Signed-off-by needs your "
                        "name (Documentation/process/submitting-patches.rst)")
    if is_placeholder(addr, patterns):
        raise MailError(f"the sender address <{addr}> is a placeholder or reserved address "
                        "(a documentation/test domain, a local name or a no-reply mailbox): mails "
                        "from it would bounce and a sign-off from it is not accepted; set your "
                        "own with git config user.email or SEND_FROM=")
    return name, addr


def _read_message(path: str):
    with open(path, 'rb') as f:
        raw = f.read()
    if raw.startswith(b'From ') and b'\n' in raw:
        raw = raw.split(b'\n', 1)[1]
    return email.message_from_bytes(raw, policy=email.policy.default)


def commit_message(msg) -> str:
    """The commit message part of a patch mail: the body up to the '---' line."""
    body = msg.get_body(preferencelist=('plain',))
    text = body.get_content() if body is not None else msg.get_payload()
    return re.split(r'^---\s*$', text, maxsplit=1, flags=re.M)[0]


def patch_identities(path: str) -> Dict[str, object]:
    msg = _read_message(path)
    author = parse_identity(str(msg.get('From', '')))
    sobs = [parse_identity(m.group(2)) for m in PERSON_TRAILER.finditer(commit_message(msg))
            if m.group(1).lower() == 'signed-off-by']
    return {'author': author, 'signoffs': sobs, 'subject': str(msg.get('Subject', ''))}


def check_patches(paths: List[str], sender: Tuple[str, str], patterns: List[str]) -> List[str]:
    """Problems with the patches' identities for this sender: the author and the last
    Signed-off-by must be the sender, and no identity in them may be a placeholder."""
    problems = []
    want = sender[1].lower()
    for p in paths:
        ids = patch_identities(p)
        name = os.path.basename(p)
        author = ids['author']
        if author[1].lower() != want:
            problems.append(f'{name}: author {author[0]} <{author[1]}> is not the sender <{sender[1]}>')
        if not ids['signoffs']:
            problems.append(f'{name}: no Signed-off-by')
        elif ids['signoffs'][-1][1].lower() != want:
            last = ids['signoffs'][-1]
            problems.append(f'{name}: last Signed-off-by is {last[0]} <{last[1]}>, not the sender')
        for who in [author] + ids['signoffs']:
            if who[1] and is_placeholder(who[1], patterns):
                problems.append(f'{name}: placeholder identity {who[0]} <{who[1]}>')
    return problems


def drop_placeholder_signoffs(text: str, patterns: List[str]) -> str:
    """A commit message without the Signed-off-by lines of placeholder identities."""
    out = []
    for line in text.split('\n'):
        m = PERSON_TRAILER.match(line)
        if m and m.group(1).lower() == 'signed-off-by' and \
                is_placeholder(parse_identity(m.group(2))[1], patterns):
            continue
        out.append(line)
    return '\n'.join(out)


# ---- targets ----------------------------------------------------------------------------

# What a target does with get_maintainer.pl's recipients (send/targets, "maintainers").
MAINTAINER_MODES = {
    'to': "its maintainers in To:, reviewers and lists in Cc:",
    'cc': "all of them in Cc:, after the target's own To:",
    'asked': "none unless CC_MAINTAINERS=1 (then all in Cc:); TO= names who asked for it",
}


@dataclass
class Target:
    name: str
    patch_dir: str
    patches: str
    prefix: str
    to: List[str]
    maintainers: str
    what: str


def load_targets(path: str) -> Dict[str, Target]:
    targets = {}
    for n, line in _data_lines(path):
        parts = [x.strip() for x in line.split('|')]
        if len(parts) != 7 or not all(parts[i] for i in (0, 1, 2, 3, 5, 6)):
            raise MailError(f'{path}:{n}: expected 7 fields separated by |: {line.strip()}')
        if parts[5] not in MAINTAINER_MODES:
            raise MailError(f"{path}:{n}: maintainers '{parts[5]}' is not one of "
                            f"{', '.join(MAINTAINER_MODES)}")
        targets[parts[0]] = Target(parts[0], parts[1], parts[2], parts[3],
                                   [a for a in parts[4].split(',') if a.strip()], parts[5], parts[6])
    return targets


def select_patches(spec: str, series: List[str]) -> List[str]:
    if spec == 'all':
        return list(series)
    out = []
    for tok in spec.split(','):
        lo, _, hi = tok.partition('-')
        for i in range(int(lo), int(hi or lo) + 1):
            if not 1 <= i <= len(series):
                raise MailError(f'patch {i} is not in the series ({len(series)} patches)')
            out.append(series[i - 1])
    return out


# ---- recipients (get_maintainer.pl --rolestats output) ----------------------------------

def split_recipients(lines: List[str], mode: str) -> Tuple[List[str], List[str]]:
    """get_maintainer.pl lines 'Name <addr> (role:...)' -> (to, cc): with mode 'to'
    maintainers to To: and everything else to Cc:; with any other mode all to Cc:."""
    to, cc = [], []
    for line in lines:
        line = line.strip()
        if not line or '@' not in line:
            continue
        m = re.match(r'^(.*?)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$', line)
        who, role = (m.group(1), m.group(2)) if m else (line, '')
        (to if role.startswith('maintainer') and mode == 'to' else cc).append(who)
    return to, cc


def address(path: str, rcpt_file: str, extra_to: str, extra_cc: str) -> None:
    """Put To: and Cc: headers after the Subject: of the mail file at path: first the
    target's and the user's (comma-separated), then the "to|cc <TAB> who" lines of
    rcpt_file; each address once, To: first."""
    to = [a.strip() for a in extra_to.split(',') if a.strip()]
    cc = [a.strip() for a in extra_cc.split(',') if a.strip()]
    with open(rcpt_file, encoding='utf-8') as f:
        for line in f:
            kind, who = line.rstrip('\n').split('\t', 1)
            (to if kind == 'to' else cc).append(who.strip())
    seen = set()

    def once(addrs):
        out = []
        for a in addrs:
            key = parse_identity(a)[1].lower() or a.lower()
            if key not in seen:
                seen.add(key)
                out.append(a)
        return out
    to, cc = once(to), once(cc)
    with open(path, encoding='utf-8') as f:
        head, sep, body = f.read().partition('\n\n')
    lines = head.split('\n')
    i = next(k for k, l in enumerate(lines) if l.startswith('Subject:')) + 1
    while i < len(lines) and lines[i][:1] in (' ', '\t'):
        i += 1
    add = [f'To: {a}' for a in to] + [f'Cc: {a}' for a in cc]
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines[:i] + add + lines[i:]) + sep + body)


# ---- measurements and the cover letter --------------------------------------------------

@dataclass
class Measurements:
    meta: dict
    base: List[results.Row]
    series: List[results.Row]
    base_totals: dict = field(default_factory=dict)
    series_totals: dict = field(default_factory=dict)


def load_measurements(d: str) -> Measurements:
    with open(os.path.join(d, 'meta.json'), encoding='utf-8') as f:
        meta = json.load(f)
    out = []
    for label in ('base', 'series'):
        with open(os.path.join(d, f'{label}.json'), encoding='utf-8') as f:
            text = f.read()
        out.append((json.loads(text).get('totals', {}), results.from_json(text)[1]))
    return Measurements(meta, out[0][1], out[1][1], out[0][0], out[1][0])


def load_cover_table(path: str) -> List[Tuple[str, str, str, str]]:
    """Rows (text, test, base metric, series metric) of "text | test | metric [| metric]",
    and headings (text, '', '', '') of lines without '|'."""
    rows = []
    for n, line in _data_lines(path):
        if '|' not in line:                            # a heading: text alone
            rows.append((line.rstrip(), '', '', ''))
            continue
        parts = [x.strip() for x in line.split('|')]
        parts[0] = line.split('|')[0].rstrip()        # the text keeps its indentation
        if len(parts) not in (3, 4) or not all(parts):
            raise MailError(f'{path}:{n}: expected "text | test | metric [| series metric]": '
                            f'{line.strip()}')
        rows.append((parts[0], parts[1], parts[2], parts[-1]))
    return rows


def _value(rows: List[results.Row], test: str, metric: str) -> Optional[float]:
    for r in rows:
        if r.name == test:
            return r.metrics.get(metric)
    return None


def _fmt(v: Optional[float]) -> str:
    if v is None:
        return '-'
    return f'{int(v):,}' if float(v).is_integer() else f'{v:.3g}'


def measured_table(m: Measurements, spec: List[Tuple[str, str, str, str]]) -> List[str]:
    """The cover letter's table; MailError if the series run lacks a row's figure."""
    rows, missing = [], []
    for text, test, bmetric, smetric in spec:
        if not test:
            rows.append((text, None, None))
            continue
        b, s = _value(m.base, test, bmetric), _value(m.series, test, smetric)
        if s is None:
            missing.append(f'{test} {smetric}')
        rows.append((text, _fmt(b), _fmt(s)))
    if missing:
        raise MailError('the measurements have no figure for: ' + '; '.join(missing) +
                        ' (run make compare with the full plan/bench.plan)')
    width = max(len(r[0]) for r in rows if r[1] is not None)
    col = max([len(v) for r in rows for v in r[1:] if v] + [len('series')])
    out = [f"{'':<{width}}  {'base':>{col}}  {'series':>{col}}"]
    for text, b, s in rows:
        out.append(text if b is None else f'{text:<{width}}  {b:>{col}}  {s:>{col}}')
    return out


def _failed(rows: List[results.Row]) -> List[str]:
    return [r.name for r in rows if r.status not in results.PASSING | results.SKIPPED]


def verdicts(m: Measurements) -> List[str]:
    def line(label, t):
        return (f"{label}: {t.get('passed', 0)} passed, {t.get('failed', 0)} failed, "
                f"{t.get('skipped', 0)} skipped")
    out = [line('base  ', m.base_totals), line('series', m.series_totals)]
    base_fails = _failed(m.base)
    if base_fails:
        out.append('failing on the base (checks of what the series changes): ' + ', '.join(base_fails))
    suites = [r for r in m.series if r.kind == 'kunit']
    if suites:
        base = {r.name: r for r in m.base if r.kind == 'kunit'}
        out.append('KUnit suites (base / series):')
        for r in suites:
            b = base.get(r.name)
            out.append(f"  {r.name}: {b.status if b else 'not built'} / {r.status} ({r.detail})")
    fails = _failed(m.series)
    if fails:
        raise MailError('the measured series run has failures: ' + ', '.join(fails) +
                        ': fix them and run make compare again before sending')
    return out


def _config(meta: dict) -> str:
    return f"-cpu {meta.get('qemu_cpu', '?')}, {meta.get('kvm_mode', '?')}"


def other_configuration(m: Measurements, main: Measurements, spec,
                        posting: Optional[figures.Base] = None) -> List[str]:
    """The section of a further configuration of the same series: its table and verdicts."""
    if not m.meta.get('series_id') or m.meta.get('series_id') != main.meta.get('series_id'):
        raise MailError(f'the {_config(m.meta)} figures were made for another series '
                        f"(series_id {m.meta.get('series_id')})")
    base = figures.meta_base(m.meta)
    text = (f"The same under {_config(m.meta)} (Linux {base.describe()}, "
            f"{m.meta.get('date', '?')}, {m.meta.get('qemu', 'QEMU')}):")
    return [*textwrap.wrap(text, width=72, break_on_hyphens=False), '', *['  ' + l for l in measured_table(m, spec)], '', *verdicts(m), '']


def cover_sections(m: Measurements, spec, targets: Dict[str, Target], target: str,
                   root: str = '.', also: Sequence[Measurements] = (),
                   posting: Optional[figures.Base] = None) -> str:
    meta = m.meta
    wrap = textwrap.TextWrapper(width=72, break_on_hyphens=False)   # (Debian revisions: 6.1.192-3)
    notes = []          # each base the figures were measured on that is not the posting's
    for o in (m, *also):
        t = figures.measured_on(o.meta, posting)
        if t and t not in notes:
            notes.append(t)
    where = []
    for t in targets.values():
        what = t.what if os.path.isdir(os.path.join(root, t.patch_dir)) else \
            f'{t.what} (not posted yet)'
        where += textwrap.wrap(what, width=72, initial_indent=f'  {t.name:<9} ',
                               subsequent_indent=' ' * 12)
    env = (f"Linux {figures.meta_base(meta).describe()} without and with this series, in one "
           f"'make compare' run on {meta.get('date', '?')}: an arm64 KVM host "
           f"({meta.get('kvm_mode', '?')}) nested under {meta.get('qemu', 'QEMU')} TCG, "
           f"-cpu {meta.get('qemu_cpu', '?')}, {meta.get('qemu_smp', '?')} vCPUs, "
           f"{meta.get('qemu_mem', '?')}, with lockdep, KASAN and kmemleak. Calls of the "
           'functions named, per workload (function profiler or kprobes in the test host; '
           'a function the base lacks counts 0 there):')
    lines = ['Where these patches go:', '', *where, '',
             f'This posting is the "{target}" one.', '',
             'Measurements:', '', *wrap.wrap(env), '',
             *[l for t in notes for l in wrap.wrap(t)], *([''] if notes else []),
             *['  ' + l for l in measured_table(m, spec)], '',
             *verdicts(m), '',
             *[l for o in also for l in other_configuration(o, m, spec, posting)],
             *wrap.wrap('Tested under emulation only, not on hardware. QEMU TCG keeps no TLB '
                        'entry that a missing invalidation would leave stale and fetches '
                        'instructions coherently, so the selftests cannot see a stale '
                        'translation or stale code; the KUnit suites check the order and '
                        'extent of the stores, TLBIs, cache maintenance and frees in the '
                        'kernel instead. Timings under TCG are noise and are not claimed; '
                        'the counts above are.'), '',
             'To reproduce, with the harness that accompanies the series (Debian 12):', '',
             '  make           # apply, build, boot the KVM host; KUnit and selftests',
             '  make compare   # the same on the base and the series, and the counts']
    return '\n'.join(lines) + '\n'


# ---- the outbox -------------------------------------------------------------------------

@dataclass
class Expect:
    sender: str
    patches: int
    prefix: str
    cover: bool
    required: List[str]
    forbidden: List[str]
    only: Optional[List[str]] = None    # when set: no recipient beyond these


def _addresses(msg, *headers) -> List[str]:
    vals = []
    for h in headers:
        vals += [str(v) for v in msg.get_all(h, [])]
    return [a.lower() for _, a in email.utils.getaddresses(vals) if a]


def read_outbox(outbox: str):
    env = {}
    path = os.path.join(outbox, 'envelope.tsv')
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            for line in f:
                name, frm, rcpts = line.rstrip('\n').split('\t')
                env[name] = (frm, [r.strip() for r in rcpts.split(',') if r.strip()])
    mails = []
    for name in sorted(f for f in os.listdir(outbox) if f.endswith('.eml')):
        mails.append((name, _read_message(os.path.join(outbox, name)), env.get(name)))
    return mails


def envelope_lines(outbox: str) -> List[str]:
    out = []
    for name, msg, env in read_outbox(outbox):
        out.append(f"{name}  {msg.get('Subject', '')}")
        out.append(f"    From: {msg.get('From', '')}")
        for h in ('To', 'Cc'):
            addrs = [str(v) for v in msg.get_all(h, [])]
            if addrs:
                out.append(f'    {h}: ' + ', '.join(a for _, a in email.utils.getaddresses(addrs)))
        if env:
            out.append(f'    envelope: MAIL FROM <{env[0]}>, {len(env[1])} RCPT TO')
    return out


def check_outbox(outbox: str, x: Expect, patterns: List[str]) -> List[str]:
    problems = []
    mails = read_outbox(outbox)
    want = x.patches + (1 if x.cover else 0)
    if len(mails) != want:
        problems.append(f'{len(mails)} mails in {outbox}, expected {want}')
    sender = x.sender.lower()
    cover_id = None
    n = x.patches
    for i, (name, msg, env) in enumerate(mails):
        subj = str(msg.get('Subject', ''))
        text = msg.as_string()
        num = i if x.cover else i + 1
        if x.cover or n > 1:
            width = len(str(n))
            expect_subj = f'[{x.prefix} {num:0{width}d}/{n}]'
        else:
            expect_subj = f'[{x.prefix}]'
        if not subj.startswith(expect_subj):
            problems.append(f'{name}: subject "{subj}" does not start with "{expect_subj}"')
        frm = _addresses(msg, 'From')
        if frm != [sender]:
            problems.append(f'{name}: From: {frm} is not the sender <{sender}>')
        if env is None:
            problems.append(f'{name}: no envelope recorded')
        else:
            if env[0].lower() != sender:
                problems.append(f'{name}: envelope sender <{env[0]}> is not <{sender}>')
            hdr = set(_addresses(msg, 'To', 'Cc'))
            if set(r.lower() for r in env[1]) != hdr:
                problems.append(f'{name}: envelope recipients differ from To:+Cc: '
                                f'({sorted(set(r.lower() for r in env[1]) ^ hdr)})')
        rcpts = _addresses(msg, 'To', 'Cc')
        if not _addresses(msg, 'To'):
            problems.append(f'{name}: no To:')
        people = rcpts + frm + [a.lower() for _, a in email.utils.getaddresses(
            [m.group(2) for m in PERSON_TRAILER.finditer(commit_message(msg))])]
        people += re.findall(r'[\w.+-]+@[\w.-]+', str(msg.get('Message-ID', '')))
        for a in sorted(set(a for a in people if a)):
            if is_placeholder(a, patterns):
                problems.append(f'{name}: placeholder address <{a}>')
            if any(a.endswith('@' + d) for d in DEAD_LISTS):
                problems.append(f'{name}: defunct list <{a}>')
        for r in x.required:
            r = parse_identity(r)[1] or r
            if r.lower() not in rcpts:
                problems.append(f'{name}: <{r}> is not a recipient')
        for r in x.forbidden:
            if r.lower() in rcpts:
                problems.append(f'{name}: <{r}> must not be a recipient')
        if x.only is not None:
            allowed = {(parse_identity(a)[1] or a).lower() for a in x.only}
            extra = sorted(set(rcpts) - allowed)
            if extra:
                problems.append(f'{name}: recipients beyond those asked for: ' +
                                ', '.join(f'<{a}>' for a in extra))
        for t in TEMPLATE_TEXT:
            if t in text:
                problems.append(f'{name}: template text "{t}" left in')
        mid = str(msg.get('Message-ID', '')).strip()
        if not mid:
            problems.append(f'{name}: no Message-ID')
        if x.cover and i == 0:
            cover_id = mid
            if 'Measurements' not in text or 'Where these patches go' not in text:
                problems.append(f'{name}: the cover letter lacks the measured sections')
        elif cover_id:
            if str(msg.get('In-Reply-To', '')).strip() != cover_id:
                problems.append(f'{name}: In-Reply-To is not the cover letter {cover_id}')
            if cover_id not in str(msg.get('References', '')):
                problems.append(f'{name}: References does not name the cover letter')
    return problems
