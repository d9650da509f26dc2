"""Reading the test VM's console log."""
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

INIT_START = '# harness: init start'
INIT_DONE = '# harness: init done'
TIMESTAMP = re.compile(r'\[\s*\d+\.\d+\]')

# (kind, pattern). Order matters only for naming: the first match names the line.
SPLATS: List[Tuple[str, re.Pattern]] = [
    ('panic', re.compile(r'Kernel panic - not syncing')),
    ('oops', re.compile(r'Unable to handle kernel|Internal error: ')),
    ('kasan', re.compile(r'BUG: KASAN: ')),
    ('lockdep', re.compile(r'BUG: Invalid wait context|WARNING: possible (circular|recursive) locking'
                           r'|WARNING: inconsistent lock state|WARNING: suspicious RCU usage'
                           r'|BUG: sleeping function called from invalid context'
                           r'|INFO: possible irq lock inversion|WARNING: lock held when returning')),
    ('bug', re.compile(r'\bBUG: |kernel BUG at ')),
    ('warning', re.compile(r'\bWARNING: ')),
    ('kmemleak', re.compile(r'unreferenced object 0x|kmemleak: \d+ new suspected memory leaks')),
    ('ubsan', re.compile(r'UBSAN: ')),
    ('stall', re.compile(r'rcu: INFO: |INFO: rcu_\w+ (self-)?detected stall|INFO: task \S+ blocked for more than')),
]

KVM_MODE = re.compile(r'kvm \[\d+\]: (Protected nVHE|VHE|Hyp) mode initialized successfully')
KVM_MODE_NAMES = {'VHE': 'vhe', 'Hyp': 'nvhe', 'Protected nVHE': 'protected'}

TAP_RESULT = re.compile(r'^(ok|not ok) (\d+) (\S+)(?: # (.*))?$')
TIME_DIRECTIVE = re.compile(r'time=([0-9.]+)s')


@dataclass
class Splat:
    lineno: int
    kind: str
    line: str


def clean(lines: Iterable[str]) -> List[str]:
    return [l.rstrip('\n').replace('\r', '') for l in lines]


def is_test_output(line: str) -> bool:
    """A line a test printed (relayed by init as '# ...') with no kernel message in it."""
    return line.startswith('# ') and not TIMESTAMP.search(line)


def scan_splats(lines: List[str]) -> List[Splat]:
    found = []
    for n, line in enumerate(lines, 1):
        if is_test_output(line):
            continue
        for kind, pat in SPLATS:
            if pat.search(line):
                found.append(Splat(n, kind, line.strip()))
                break
    return found


def kvm_mode(lines: List[str]) -> Optional[str]:
    for line in lines:
        m = KVM_MODE.search(line)
        if m:
            return KVM_MODE_NAMES[m.group(1)]
    return None


def kunit_lines(lines: List[str]) -> List[str]:
    """The console up to init's start: what the built-in KUnit suites printed at boot."""
    out = []
    for line in lines:
        if line.startswith(INIT_START):
            break
        out.append(line)
    return out


KUNIT_SUITE = re.compile(r'^    # Subtest: (\S+)$')
KUNIT_DIAG = re.compile(r'^\s+# \S+: (METRIC .*)$')
KUNIT_RESULT = re.compile(r'^( *)(?:not )?ok \d+ (\S+)(?: # (SKIP\b.*))?$')


def _ktap(lines: List[str]) -> Iterable[str]:
    """The boot-time KUnit lines without the printk timestamp and the space after it, so that
    KTAP's own indentation (4 spaces a level) is what is left."""
    for line in kunit_lines(lines):
        line = TIMESTAMP.sub('', line, count=1)
        yield line[1:] if line.startswith(' ') else line


def kunit_skipped(lines: List[str]) -> Tuple[set, set]:
    """Suites and test cases whose own KTAP result line says SKIP. 6.1's KUnit still prints the
    parameters of a case skipped in its init as 'ok', and kunit.py's JSON keeps only those."""
    suites, cases = set(), set()
    for line in _ktap(lines):
        m = KUNIT_RESULT.match(line)
        if m and m.group(3):
            (suites if not m.group(1) else cases).add(m.group(2))
    return suites, cases


def kunit_metric_lines(lines: List[str]) -> Dict[str, List[str]]:
    """The 'METRIC ...' lines each KUnit suite's cases printed at boot, by suite name."""
    out: Dict[str, List[str]] = {}
    suite = None
    for line in _ktap(lines):
        m = KUNIT_SUITE.match(line)
        if m:
            suite = m.group(1)
            continue
        m = KUNIT_DIAG.match(line)
        if m and suite:
            out.setdefault(suite, []).append(m.group(1))
    return out


@dataclass
class TapResult:
    number: int
    name: str
    ok: bool
    directive: str
    output: List[str] = field(default_factory=list)
    seconds: Optional[float] = None

    @property
    def status(self) -> str:
        d = self.directive
        if d.startswith('TIMEOUT'):
            return 'TIMEOUT'
        if self.ok and d.startswith('SKIP'):
            return 'SKIP'
        return 'PASS' if self.ok else 'FAIL'


@dataclass
class InitRun:
    started: bool = False
    done: bool = False
    planned: Optional[int] = None
    results: Dict[str, TapResult] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    kvm_dev_missing: bool = False


def parse_init(lines: List[str]) -> InitRun:
    """The TAP that init printed, each test with the output it relayed."""
    run = InitRun()
    pending: List[str] = []
    for line in lines:
        if line.startswith(INIT_START):
            run.started = True
            continue
        if not run.started:
            continue
        if line.startswith(INIT_DONE):
            run.done = True
            continue
        if line.startswith('# harness: '):
            note = line[len('# harness: '):]
            run.notes.append(note)
            if 'ERROR: /dev/kvm missing' in note:
                run.kvm_dev_missing = True
            if note.startswith('['):
                pending = []
            continue
        m = re.match(r'^1\.\.(\d+)$', line)
        if m and run.planned is None:
            run.planned = int(m.group(1))
            continue
        m = TAP_RESULT.match(line)
        if m:
            r = TapResult(int(m.group(2)), m.group(3), m.group(1) == 'ok', m.group(4) or '', pending)
            t = TIME_DIRECTIVE.search(r.directive)
            r.seconds = float(t.group(1)) if t else None
            run.results[r.name] = r
            pending = []
            continue
        if line.startswith('# '):
            pending.append(line[2:])
        elif line == '#':
            pending.append('')
    return run
