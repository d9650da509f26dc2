"""What identifies the figures of 'make compare', and which of them a posting may carry.

Figures are of a series (the content of its patches' changes: `git patch-id --stable` of
each, in order, so neither the base they were applied to, nor a re-signed From:, nor a
reworded message makes them another series) measured on a base (the upstream version of the
tree, and the Debian package revision when it came from Debian). A posting may carry figures
of its own series measured on the same base line (6.1, 6.12) at the same or an older
sublevel/revision than the one it is based on: the cover letter then says both. Figures of
another series, of another base line, or of a newer base than the posting's are refused.
"""
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from . import results


class FiguresError(Exception):
    pass


def patch_id(path: str) -> str:
    """git patch-id --stable of one format-patch file: its diff, without line numbers,
    index lines or message."""
    with open(path, 'rb') as f:
        out = subprocess.run(['git', 'patch-id', '--stable'], stdin=f, capture_output=True,
                             check=False)
    ids = out.stdout.decode().split()
    if out.returncode != 0 or not ids:
        raise FiguresError(f'{path}: git patch-id found no change in it '
                           f'({out.stderr.decode().strip() or "empty output"})')
    return ids[0]


def series_id(paths: Sequence[str]) -> str:
    """The series' identity: the patch ids of its patches, in order, hashed together."""
    if not paths:
        raise FiguresError('a series of no patches has no figures')
    h = hashlib.sha256()
    for p in paths:
        h.update(patch_id(p).encode() + b'\n')
    return h.hexdigest()[:40]


def _version_key(v: str) -> Tuple[int, ...]:
    try:
        return tuple(int(x) for x in v.split('.'))
    except ValueError:
        raise FiguresError(f'base version {v!r} is not of the form X.Y.Z') from None


def _debian_cmp(a: str, b: str) -> int:
    """dpkg's order of two Debian versions: -1, 0 or 1."""
    if a == b:
        return 0
    r = subprocess.run(['dpkg', '--compare-versions', a, 'lt', b], check=False)
    return -1 if r.returncode == 0 else 1


@dataclass
class Base:
    line: str               # bases/*: 6.1, 6.12
    version: str            # the tree's version: 6.12.117
    revision: str = ''      # the Debian package's version, '' for a user's tree (KERNEL_SRC)

    def describe(self) -> str:
        return f'v{self.version}' + (f' (Debian {self.revision})' if self.revision else '')

    def order(self, other: 'Base') -> int:
        """-1, 0 or 1 as self is older than, the same as, or newer than other; revisions
        count only when both have one (a user's tree of the same version is the same)."""
        a, b = _version_key(self.version), _version_key(other.version)
        if a != b:
            return -1 if a < b else 1
        if self.revision and other.revision:
            return _debian_cmp(self.revision, other.revision)
        return 0


def meta_base(meta: dict) -> Base:
    version = meta.get('base_version', '')
    line = meta.get('base_line') or '.'.join(version.split('.')[:2])
    return Base(line, version, meta.get('base_revision', ''))


def config(meta: dict) -> str:
    return f"{meta.get('qemu_cpu', '?')}-{meta.get('kvm_mode', '?')}"


@dataclass
class Choice:
    chosen: List[str] = field(default_factory=list)     # directories; the first is the main table
    refused: List[str] = field(default_factory=list)    # 'dir: why'


def select(dirs: Sequence[str], sid: str, posting: Base, main_config: str) -> Choice:
    """The figures a posting of series `sid` on base `posting` may carry: one directory per
    configuration (the newest base not newer than the posting's; the first directory listed
    wins a tie), the configuration `main_config` first."""
    best = {}           # config -> (dir, base)
    order = []
    out = Choice()
    for d in dirs:
        d = d.rstrip('/')
        path = os.path.join(d, 'meta.json')
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding='utf-8') as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            raise FiguresError(f'{path} is not readable JSON: {e}') from None
        mid = meta.get('series_id')
        if not mid:
            out.refused.append(f'{d}: recorded before figures named their series (no series_id); '
                               "run 'make compare' again")
            continue
        if mid != sid:
            out.refused.append(f'{d}: figures of another series (series_id {mid[:12]}, '
                               f'this series is {sid[:12]})')
            continue
        try:
            mb = meta_base(meta)
            newer = mb.order(posting) > 0
        except FiguresError as e:
            out.refused.append(f'{d}: {e}')
            continue
        if mb.line != posting.line:
            out.refused.append(f'{d}: measured on the {mb.line} base line, this posting is on {posting.line}')
            continue
        if newer:
            out.refused.append(f'{d}: measured on {mb.describe()}, newer than this posting\'s base '
                               f'{posting.describe()}')
            continue
        c = config(meta)
        if c not in best:
            order.append(c)
            best[c] = (d, mb)
        elif mb.order(best[c][1]) > 0:
            out.refused.append(f'{best[c][0]}: {c} measured again on a newer base in {d}')
            best[c] = (d, mb)
        else:
            out.refused.append(f'{d}: {c} measured on a newer base in {best[c][0]}')
    if main_config in best:
        order.remove(main_config)
        order.insert(0, main_config)
    out.chosen = [best[c][0] for c in order]
    return out


def measured_on(meta: dict, posting: Optional[Base]) -> str:
    """The sentence a cover letter says when the figures' base is not the posting's."""
    mb = meta_base(meta)
    if posting is None or (mb.version == posting.version and mb.revision == posting.revision):
        return ''
    return (f'Measured on {mb.describe()} with these patches; this posting is based on '
            f'{posting.describe()} (the same patches apply to both).')


def check_recorded(d: str, sid: str, line: str, named: bool = True) -> List[str]:
    """What is wrong with a recorded measurement directory for series `sid` on base line
    `line`: every file present and readable, the ids and the base recorded, no failure."""
    problems = []
    try:
        with open(os.path.join(d, 'meta.json'), encoding='utf-8') as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        return [f'{d}/meta.json: {e}']
    for k in ('series_id', 'base_line', 'base_version', 'base_revision', 'qemu', 'qemu_cpu',
              'kvm_mode', 'date', 'patches'):
        if k not in meta:
            problems.append(f'{d}/meta.json: no "{k}"')
    if meta.get('series_id') and meta['series_id'] != sid:
        problems.append(f'{d}: figures of another series (series_id {meta["series_id"][:12]}, '
                        f'the series in the repository is {sid[:12]}): run make compare and make record')
    if meta.get('base_line') and meta['base_line'] != line:
        problems.append(f'{d}: base_line {meta["base_line"]}, expected {line}')
    name = f"linux-{meta.get('base_version')}-{config(meta)}"
    if named and os.path.basename(d.rstrip('/')) != name:
        problems.append(f'{d}: named otherwise than its meta.json says ({name})')
    for label in ('base', 'series'):
        try:
            with open(os.path.join(d, f'{label}.json'), encoding='utf-8') as f:
                rows = results.from_json(f.read())[1]
        except (OSError, ValueError, KeyError, TypeError) as e:
            problems.append(f'{d}/{label}.json: {e}')
            continue
        if not rows:
            problems.append(f'{d}/{label}.json: no results')
        if label == 'series':
            bad = [r.name for r in rows if r.status not in results.PASSING | results.SKIPPED]
            if bad:
                problems.append(f'{d}/series.json: the series failed {", ".join(bad)}')
    if not os.path.isfile(os.path.join(d, 'compare.txt')):
        problems.append(f'{d}/compare.txt is missing')
    return problems


def write_fixture(out: str, meta: dict, table: Sequence[Tuple[str, str, str, str]]) -> None:
    """Figures made up for a test of 'make send' (scripts/test-send.sh): a passing base and
    series run with a value for every metric of the cover-letter table, and `meta` (which
    must name the series and base). Never measured: its QEMU says so."""
    os.makedirs(out, exist_ok=True)
    rows = {'base': {}, 'series': {}}
    for n, (_, test, bmetric, smetric) in enumerate(table):
        if not test:
            continue
        for label, metric, value in (('base', bmetric, 100 + n), ('series', smetric, 10 + n)):
            row = rows[label].setdefault(test, results.Row('test', test, 'PASS'))
            row.metrics[metric] = float(value)
    for label in rows:
        with open(os.path.join(out, f'{label}.json'), 'w', encoding='utf-8') as f:
            f.write(results.to_json(list(rows[label].values()), {'fixture': True}))
    with open(os.path.join(out, 'compare.txt'), 'w', encoding='utf-8') as f:
        f.write('fixture figures of scripts/test-send.sh: nothing was measured\n')
    meta = {'qemu': 'fixture (not measured)', 'qemu_cpu': 'max', 'kvm_mode': 'vhe',
            'qemu_smp': '2', 'qemu_mem': '6G', 'date': '1970-01-01', 'patches': 0, **meta}
    with open(os.path.join(out, 'meta.json'), 'w', encoding='utf-8') as f:
        json.dump(meta, f, indent=1)
