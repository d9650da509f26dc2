"""'make matrix': one line per configuration from the results of its run."""
import os
import re
from typing import List, Optional, Tuple

from . import results

INIT_LINE = re.compile(r'kvm \[\d+\]: ((?:Protected nVHE|VHE|Hyp) mode initialized successfully)')
FLUSHES = ('__kvm_tlb_flush_vmid', '__kvm_tlb_flush_vmid_ipa', '__kvm_tlb_flush_vmid_range')


def load_counts(path: str) -> List[Tuple[str, str]]:
    """plan/matrix/counts: '<heading> <plan line>' a line."""
    out = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            fields = line.split()
            if fields and not fields[0].startswith('#'):
                if len(fields) != 2:
                    raise ValueError(f'{path}: "{line.strip()}": want a heading and a plan line')
                out.append((fields[0], fields[1]))
    return out


def _counts(rows, name: str) -> str:
    row = next((r for r in rows if r.name == name), None)
    if row is None:
        return 'not run'
    if row.status not in results.PASSING:
        return row.status
    vals = [row.metrics.get(f'calls:{f}') for f in FLUSHES]
    if any(v is None for v in vals):
        return 'no counts'
    return '/'.join(str(int(v)) for v in vals)


def cell(name: str, results_json: Optional[str], counts: List[Tuple[str, str]]) -> dict:
    """The table's cells for one configuration; 'ok' is False when anything failed."""
    c = {'configuration': name, 'ok': False}
    if not results_json or not os.path.exists(results_json):
        c.update({'init': 'no results (build or boot failed: see its log)', 'kunit': '-',
                  'plan': '-', 'splats': '-'})
        c.update({h: '-' for h, _ in counts})
        return c
    with open(results_json, encoding='utf-8') as f:
        meta, rows = results.from_json(f.read())
    init = 'no KVM init line'
    if meta.get('console') and os.path.exists(meta['console']):
        with open(meta['console'], encoding='utf-8', errors='replace') as f:
            m = INIT_LINE.search(f.read())
        if m:
            init = m.group(1)

    def summary(kind):
        sel = [r for r in rows if r.kind == kind]
        t = results.totals(sel)
        xfail = sum(1 for r in sel if r.status == 'XFAIL')
        return f"{t['passed']}/{len(sel)}" + (f", {xfail} xfail" if xfail else '') + \
            (f", {t['skipped'] - xfail} skip" if t['skipped'] - xfail else '') + \
            (f", {t['failed']} FAIL" if t['failed'] else '')

    kunit_skips = sum(int(m.group(1)) for r in rows if r.kind == 'kunit'
                      for m in [re.search(r'(\d+) skipped', r.detail)] if m)
    splat = next((r for r in rows if r.kind == 'check' and r.name.startswith('console:')), None)
    c.update({
        'init': init,
        'kunit': summary('kunit') + (f' ({kunit_skips} case{"s" if kunit_skips > 1 else ""} skip)' if kunit_skips else ''),
        'plan': summary('test'),
        'splats': 'none' if splat and splat.status == 'PASS' else
                  (splat.detail[:60] if splat else 'unknown'),
    })
    if meta.get('kvm_mode') == 'vhe':
        c.update({h: _counts(rows, line) for h, line in counts})
    else:
        # The counts come from tracing the kernel's __kvm_tlb_flush_vmid*(): outside VHE those
        # run at EL2, behind an inline hvc, and the kernel's copies are never called.
        c.update({h: 'n/a (EL2)' for h, _ in counts})
    c['ok'] = results.totals(rows)['failed'] == 0
    return c


def table(cells: List[dict], counts: List[Tuple[str, str]]) -> str:
    heads = ['configuration', 'init', 'kunit', 'plan', 'splats'] + [h for h, _ in counts]
    titles = {'configuration': 'configuration', 'init': 'KVM init line', 'kunit': 'KUnit suites',
              'plan': 'plan', 'splats': 'splats'}
    rows = [[titles.get(h, h + ' VMID/IPA/range') for h in heads]]
    rows += [[str(c[h]) for h in heads] for c in cells]
    width = [max(len(r[i]) for r in rows) for i in range(len(heads))]
    out = ['| ' + ' | '.join(v.ljust(w) for v, w in zip(r, width)) + ' |' for r in rows]
    out.insert(1, '|' + '|'.join('-' * (w + 2) for w in width) + '|')
    bad = [c['configuration'] for c in cells if not c['ok']]
    out.append('')
    out.append('Plan and suites: passed/run, then known failures (xfail), known skips, failures. '
               'Counts: calls of __kvm_tlb_flush_vmid / _vmid_ipa / _vmid_range during the plan line, traced '
               'in the kernel; n/a outside VHE, where the hypervisor runs them at EL2.')
    out.append(f'{len(cells) - len(bad)} of {len(cells)} configurations green' +
               (f'; failed: {", ".join(bad)}' if bad else ''))
    return '\n'.join(out)
