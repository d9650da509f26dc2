"""Turn a console log into results: one row per check, KUnit suite and plan entry."""
import json
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from . import console, metrics
from .plan import Entry

PASSING = {'PASS', 'XPASS'}
SKIPPED = {'SKIP', 'XFAIL', 'N/A'}


@dataclass
class Row:
    kind: str           # check | kunit | test
    name: str
    status: str         # PASS FAIL TIMEOUT NOTRUN SKIP XFAIL XPASS N/A
    detail: str = ''
    seconds: Optional[float] = None
    metrics: Dict[str, float] = field(default_factory=dict)


def _kunit_suite_rows(kunit: Optional[dict], skipped_suites=frozenset(),
                     skipped_cases=frozenset()) -> Dict[str, Row]:
    rows: Dict[str, Row] = {}
    if not kunit:
        return rows

    def cases(group, skip=False):
        out = [('SKIP' if skip or c['name'] in skipped_cases else c['status'])
               for c in group.get('test_cases', [])]
        for sub in group.get('sub_groups', []):
            out += cases(sub, skip or sub['name'] in skipped_cases)
        return out

    for suite in kunit.get('sub_groups', []):
        st = cases(suite, suite['name'] in skipped_suites)
        bad = sum(1 for s in st if s not in ('PASS', 'SKIP'))
        skipped = sum(1 for s in st if s == 'SKIP')
        if not st:
            status = 'FAIL'
        elif bad:
            status = 'FAIL'
        elif skipped == len(st):
            status = 'SKIP'
        else:
            status = 'PASS'
        detail = f'{len(st) - bad - skipped}/{len(st)} cases passed' + (f', {skipped} skipped' if skipped else '')
        rows[suite['name']] = Row('kunit', suite['name'], status, detail)
    for case in kunit.get('test_cases', []):
        # A top-level case: a suite that crashed before printing its subtests.
        rows.setdefault(case['name'], Row('kunit', case['name'],
                                          'PASS' if case['status'] == 'PASS' else 'FAIL',
                                          'no subtests reported'))
    return rows


def build(lines: List[str], entries: List[Entry], known: Dict[str, str], *,
          expect_mode: str = 'vhe', kunit: Optional[dict] = None, kunit_error: str = '',
          expect_suites: Optional[List[str]] = None, optional_suites: bool = False,
          qemu_status: str = 'ok') -> List[Row]:
    """qemu_status: 'ok' (powered off by itself), 'timeout', or 'exit=N'.
    optional_suites: a missing expected suite is N/A (the base kernel of a comparison)."""
    rows: List[Row] = []
    run = console.parse_init(lines)

    if qemu_status == 'ok':
        rows.append(Row('check', 'qemu: powered off by itself', 'PASS'))
    else:
        rows.append(Row('check', 'qemu: powered off by itself', 'FAIL',
                        f'QEMU {qemu_status}: the guest hung or died; see the end of the console log'))

    mode = console.kvm_mode(lines)
    if mode == expect_mode:
        rows.append(Row('check', f'boot: KVM initialised in {expect_mode} mode', 'PASS'))
    else:
        rows.append(Row('check', f'boot: KVM initialised in {expect_mode} mode', 'FAIL',
                        f'found {mode} mode' if mode else 'no "kvm [N]: ... mode initialized successfully" line'))

    rows.append(Row('check', 'boot: /dev/kvm present',
                    'FAIL' if run.kvm_dev_missing or not run.started else 'PASS',
                    '' if run.started and not run.kvm_dev_missing else
                    ('init never started' if not run.started else '/dev/kvm missing in the guest')))

    splats = console.scan_splats(lines)
    if splats:
        kinds = sorted({s.kind for s in splats})
        first = '; '.join(f'line {s.lineno}: {s.line[:100]}' for s in splats[:3])
        rows.append(Row('check', 'console: no WARNING/BUG/lockdep/KASAN/kmemleak/panic', 'FAIL',
                        f'{len(splats)} report(s) ({", ".join(kinds)}): {first}'))
    else:
        rows.append(Row('check', 'console: no WARNING/BUG/lockdep/KASAN/kmemleak/panic', 'PASS'))

    rows.append(Row('check', 'init: ran the whole plan and finished',
                    'PASS' if run.done and run.planned == len(entries) else 'FAIL',
                    '' if run.done and run.planned == len(entries) else
                    (f'init planned {run.planned} tests, the plan has {len(entries)}'
                     if run.done else 'init did not finish (panic, hang or timeout)')))

    suites = _kunit_suite_rows(kunit, *console.kunit_skipped(lines))
    for name, mlines in console.kunit_metric_lines(lines).items():
        if name in suites:
            suites[name].metrics = metrics.extract(mlines)
    for name in expect_suites or []:
        if name not in suites:
            if optional_suites:
                suites[name] = Row('kunit', name, 'N/A', 'suite not in this kernel')
            else:
                suites[name] = Row('kunit', name, 'NOTRUN',
                                   'expected suite did not run' + (f' ({kunit_error})' if kunit_error else ''))
    for name, row in suites.items():
        # A suite that skipped all its cases tested nothing: accepted only with a reason.
        if row.status == 'SKIP' and name in known:
            row.detail = f'known skip: {known[name]} | {row.detail}'
        elif row.status == 'SKIP':
            row.status = 'FAIL'
            row.detail = ('every case skipped, but a suite must run (list it in plan/known-failures '
                          'with a reason to accept the skip) | ' + row.detail)
    rows.extend(suites[k] for k in sorted(suites))

    for e in entries:
        r = run.results.get(e.name)
        if r is None:
            row = Row('test', e.name, 'NOTRUN', 'listed in the plan but never reported')
        else:
            row = Row('test', e.name, r.status, r.directive, r.seconds, metrics.extract(r.output))
            if r.status in ('FAIL', 'TIMEOUT'):
                tail = [l for l in r.output if l.strip()][-2:]
                if tail:
                    row.detail += ' | ' + ' / '.join(t.strip()[:120] for t in tail)
        reason = known.get(e.name)
        if reason is not None:
            if row.status in ('FAIL', 'TIMEOUT'):
                row.status, row.detail = 'XFAIL', f'known failure: {reason}'
            elif row.status == 'PASS':
                row.status, row.detail = 'XPASS', f'listed as known failure but passed ({reason})'
            elif row.status == 'SKIP':
                row.detail = f'known skip: {reason}'
        elif row.status == 'SKIP':
            row.status = 'FAIL'
            row.detail = ('skipped, but a plan test must run (list it in plan/known-failures '
                          'with a reason to accept the skip) | ' + row.detail)
        rows.append(row)
    return rows


def totals(rows: List[Row]) -> Dict[str, int]:
    t = {'passed': 0, 'failed': 0, 'skipped': 0}
    for r in rows:
        if r.status in PASSING:
            t['passed'] += 1
        elif r.status in SKIPPED:
            t['skipped'] += 1
        else:
            t['failed'] += 1
    return t


def closing_line(t: Dict[str, int]) -> str:
    line = f"{t['passed']} passed, {t['failed']} failed"
    if t['skipped']:
        line += f", {t['skipped']} skipped"
    return line


def table(rows: List[Row]) -> str:
    width = max([len(r.name) for r in rows] + [4])
    out = [f"{'RESULT':<8} {'NAME':<{width}} {'TIME':>8}  DETAIL"]
    for r in rows:
        secs = f'{r.seconds:.1f}s' if r.seconds is not None else ''
        out.append(f'{r.status:<8} {r.name:<{width}} {secs:>8}  {r.detail}'.rstrip())
    return '\n'.join(out)


def to_json(rows: List[Row], meta: dict) -> str:
    return json.dumps({'meta': meta, 'totals': totals(rows), 'rows': [asdict(r) for r in rows]},
                      indent=2, sort_keys=True)


def from_json(text: str) -> (dict, List[Row]):
    d = json.loads(text)
    return d.get('meta', {}), [Row(**r) for r in d['rows']]
