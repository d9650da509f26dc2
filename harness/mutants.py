"""Mutants: small patches on top of the series, each a plausible wrong fix, and what must
kill each one (mutants/README.md describes the header)."""
import email
import email.policy
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from . import plan, results

FIELDS = ('Breaks', 'Class', 'Mistake', 'Killed-by', 'Unobservable', 'Observable-with')
# What an Observable-with: condition may name: the run's configuration (scripts/lib.sh).
CONFIG_VARS = ('QEMU_CPU', 'KVM_MODE', 'PAGE_SIZE')
CLASSES = ('revert', 'ordering', 'encoding', 'arithmetic', 'threshold', 'policy', 'feature',
           'protocol', 'test', 'mechanical')


class MutantError(Exception):
    pass


@dataclass
class Mutant:
    path: str
    name: str
    subject: str
    breaks: str
    cls: str
    mistake: str
    killers: List[str]
    unobservable: Optional[str] = None
    files: List[str] = field(default_factory=list)
    # VAR=value conditions of the run's configuration without which no test can kill it
    observable_with: List[str] = field(default_factory=list)

    @property
    def touches_selftests(self) -> bool:
        return any(f.startswith('tools/') for f in self.files)


def parse(path: str) -> Mutant:
    """The mutant's header: "Field: value" lines of its commit message, a value may go on
    over indented lines."""
    with open(path, 'rb') as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    subject = re.sub(r'^\[PATCH[^\]]*\]\s*', '', ' '.join(str(msg.get('Subject', '')).split()))
    body = msg.get_payload(decode=True).decode('utf-8', 'replace')
    text, _, diff = body.partition('\n---\n')
    values: Dict[str, str] = {}
    last = None
    for line in text.splitlines():
        m = re.match(r'^([A-Z][A-Za-z-]*):\s*(.*)$', line)
        if m and m.group(1) in FIELDS:
            last = m.group(1)
            values[last] = m.group(2).strip()
        elif last and line.startswith((' ', '\t')) and line.strip():
            values[last] += ' ' + line.strip()
        else:
            last = None
    name = os.path.basename(path)
    missing = [k for k in FIELDS[:4] if not values.get(k)]
    if missing:
        raise MutantError(f'{path}: header lacks {", ".join(missing)} (see mutants/README.md)')
    if values['Class'] not in CLASSES:
        raise MutantError(f'{path}: Class: {values["Class"]} is not one of {", ".join(CLASSES)}')
    files = sorted(set(re.findall(r'^diff --git a/(\S+) ', diff, re.M)))
    if not files:
        raise MutantError(f'{path}: no diff')
    return Mutant(path, name, subject, values['Breaks'], values['Class'], values['Mistake'],
                  values['Killed-by'].split(), values.get('Unobservable'), files,
                  values.get('Observable-with', '').split())


def unobservable_in(m: Mutant, config: Dict[str, str]) -> Optional[str]:
    """Why m cannot be killed in a run of this configuration (VAR -> value), or None: its
    Unobservable: reason, or the first Observable-with: condition the run does not meet."""
    if m.unobservable:
        return m.unobservable
    for cond in m.observable_with:
        var, _, want = cond.partition('=')
        if config.get(var) != want:
            return f'observable only with {cond} (this run: {var}={config.get(var, "unset")})'
    return None


def load_dir(d: str) -> List[Mutant]:
    names = sorted(f for f in os.listdir(d) if f.endswith('.patch'))
    return [parse(os.path.join(d, f)) for f in names]


def check(mutants: List[Mutant], series: List[str], plans: List[str], suites: List[str]) -> List[str]:
    """Problems with the catalogue: a patch or a killer that does not exist."""
    entries = {e.name for p in plans for e in plan.load_plan(p)}
    problems = []
    for m in mutants:
        if m.breaks not in series:
            problems.append(f'{m.name}: Breaks: {m.breaks} is not in the series')
        for cond in m.observable_with:
            var, eq, want = cond.partition('=')
            if var not in CONFIG_VARS or not eq or not want:
                problems.append(f'{m.name}: Observable-with: {cond} is not VAR=value with VAR one '
                                f'of {", ".join(CONFIG_VARS)}')
        for k in m.killers:
            kind, _, what = k.partition(':')
            if kind == 'kunit' and what.split('.')[0] in suites:
                continue
            if kind == 'plan' and what in entries:
                continue
            problems.append(f'{m.name}: Killed-by: {k} is neither kunit:<suite in plan/kunit-suites> '
                            'nor plan:<name in the plans>')
    return problems


def subset_plan(m: Mutant, plans: List[str], out: str) -> int:
    """Write the plan lines that m's killers name; return how many."""
    wanted = {k.partition(':')[2] for k in m.killers if k.startswith('plan:')}
    chosen = [line for name, line in plan.lines(plans).items() if name in wanted]
    with open(out, 'w', encoding='utf-8') as f:
        f.write('\n'.join([f'# the plan lines that must kill {m.name}'] + chosen) + '\n')
    return len(chosen)


def verdict(m: Mutant, results_json: str) -> (str, str):
    """(killed|survived, detail) from the run's results: killed when a test it claims fails,
    or when anything else fails (named: a kill, but not by the test that claims it)."""
    with open(results_json, encoding='utf-8') as f:
        _, rows = results.from_json(f.read())
    failed = [r for r in rows if r.status not in results.PASSING | results.SKIPPED]
    claimed = set()
    for k in m.killers:
        kind, _, what = k.partition(':')
        claimed.add(what.split('.')[0] if kind == 'kunit' else what)
    by_claim = [r for r in failed if r.name in claimed]
    if by_claim:
        return 'killed', ', '.join(f'{r.name} {r.status}' for r in by_claim)
    if failed:
        return 'killed', 'not by its claimed killer: ' + ', '.join(f'{r.name} {r.status}'
                                                                  for r in failed)
    missing = [c for c in claimed if not any(r.name == c for r in rows)]
    if missing:
        return 'survived', 'did not run: ' + ', '.join(missing)
    return 'survived', 'every test passed'
