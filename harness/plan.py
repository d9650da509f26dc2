"""The test plan and the known-failures list.

Plan grammar (init/init.c parses the same, and tests check that both agree):
one entry a line, "<timeout-seconds> <name> <program> [args...]", fields
separated by blanks, no quoting; blank lines and lines starting with '#' are
ignored.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

MAX_TIMEOUT = 86400
MAX_NAME = 127
MAX_ARGS = 64
MAX_ENTRIES = 256
NAME_RE = re.compile(r'^[A-Za-z0-9_.:/+=-]+$')


class PlanError(Exception):
    """A plan that init would refuse; carries every offending line."""

    def __init__(self, path: str, errors: List[str]):
        self.path = path
        self.errors = errors
        super().__init__('\n'.join(f'{path}:{e}' for e in errors))


@dataclass
class Entry:
    lineno: int
    timeout: int
    name: str
    argv: List[str] = field(default_factory=list)


def parse_plan(text: str, path: str = '<plan>') -> List[Entry]:
    entries: List[Entry] = []
    errors: List[str] = []
    seen = set()
    for lineno, raw in enumerate(text.split('\n'), 1):
        if len(raw) >= 4095:
            errors.append(f'{lineno}: line too long')
            break
        line = raw.split('\r')[0].lstrip(' \t')
        if not line or line.startswith('#'):
            continue
        fields = [f for f in re.split(r'[ \t]+', line) if f]
        timeout = fields[0]
        if not re.fullmatch(r'[+-]?[0-9]+', timeout) or not 0 < int(timeout) <= MAX_TIMEOUT:
            errors.append(f'{lineno}: timeout must be a whole number of seconds from 1 to 86400')
            continue
        if len(fields) < 2:
            errors.append(f'{lineno}: missing test name')
            continue
        name = fields[1]
        if len(name) > MAX_NAME:
            errors.append(f'{lineno}: test name too long')
            continue
        if not NAME_RE.match(name):
            errors.append(f'{lineno}: test name has a character outside [A-Za-z0-9_.:/+=-]')
            continue
        argv = fields[2:]
        if len(argv) > MAX_ARGS:
            errors.append(f'{lineno}: too many arguments')
            continue
        if not argv:
            errors.append(f'{lineno}: missing command')
            continue
        if name in seen:
            errors.append(f'{lineno}: duplicate test name {name}')
            continue
        if len(entries) == MAX_ENTRIES:
            errors.append(f'{lineno}: more than {MAX_ENTRIES} entries')
            break
        seen.add(name)
        entries.append(Entry(lineno, int(timeout), name, argv))
    if errors:
        raise PlanError(path, errors)
    return entries


def load_plan(path: str) -> List[Entry]:
    with open(path, encoding='utf-8') as f:
        return parse_plan(f.read(), path)


QUALIFIERS = ('cpu', 'mode', 'page')


def parse_known_failures(text: str, path: str = '<known-failures>',
                         where: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """"<name> [cpu=<QEMU CPU>] [mode=<KVM mode>] [page=<page size>] <reason...>" a line; a
    reason is required; <name> is a plan test or a KUnit suite.
    A qualified line applies only where every qualifier matches (where=None: every line,
    for checking), and wins over an unqualified line for the same name."""
    known: Dict[str, str] = {}
    specific = set()
    errors = []
    for lineno, raw in enumerate(text.split('\n'), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        words = line.split()
        name, quals = words[0], {}
        i = 1
        while i < len(words) and re.match(r'^[a-z]+=\S+$', words[i]):
            key, _, val = words[i].partition('=')
            if key not in QUALIFIERS:
                errors.append(f'{lineno}: {name}: unknown qualifier {key}= (use {", ".join(QUALIFIERS)})')
            quals[key] = val
            i += 1
        reason = ' '.join(words[i:])
        if not reason:
            errors.append(f'{lineno}: {name} has no reason')
            continue
        if where is not None and any(where.get(k) != v for k, v in quals.items()):
            continue
        if name in specific and not quals:
            continue
        known[name] = reason
        if quals:
            specific.add(name)
    if errors:
        raise PlanError(path, errors)
    return known


def load_known_failures(path: str, where: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    with open(path, encoding='utf-8') as f:
        return parse_known_failures(f.read(), path, where)


def global_timeout(entries: List[Entry], boot_margin: int = 600) -> int:
    """Seconds QEMU may run in all: every test's own bound plus boot and kmemleak."""
    return sum(e.timeout for e in entries) + boot_margin


def lines(paths: List[str]) -> Dict[str, str]:
    """Each test's plan line (as written) by name, in file and line order, from the first of
    @paths that has it; every file is checked as init would check it."""
    out: Dict[str, str] = {}
    for path in paths:
        with open(path, encoding='utf-8') as f:
            text = f.read().split('\n')
        for e in parse_plan('\n'.join(text), path):
            out.setdefault(e.name, text[e.lineno - 1].strip())
    return out


def select(names: List[str], plans: List[str], overrides: List[str] = ()) -> str:
    """The plan lines of @names, in that order, from the first of @overrides that has the
    name, else from the first of @plans; every name must be found, every override used."""
    base, over = lines(plans), lines(overrides)
    errors = [f'{n}: in none of {", ".join(plans)}' for n in names if n not in base and n not in over]
    errors += [f'{n}: overridden but not selected' for n in over if n not in names]
    if errors:
        raise PlanError(', '.join(overrides) or 'selection', errors)
    return ''.join(over.get(n, base.get(n)) + '\n' for n in names)
