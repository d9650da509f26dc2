"""The 6.1 series' pure TLBI range code in userspace (tests/userspace/tlbi_range.c): cut out
of the tree under test, compiled with the host's gcc for 4K, 16K and 64K pages and checked
against an oracle; and mechanical mutants of asm/tlbflush.h judged that way, in a compile
and a run each instead of a kernel build and a boot."""
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import List, Optional, Tuple

from . import mutants

HEADER = 'arch/arm64/include/asm/tlbflush.h'
PROGRAM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       'tests', 'userspace', 'tlbi_range.c')
PAGE_SHIFTS = (12, 14, 16)
FIRST = '#define __TLBI_VADDR_RANGE('
LAST = '__tlbi_s2_range_request('


class UserspaceError(Exception):
    pass


S1 = 'static inline void __flush_tlb_range('


def _end(lines: List[str], start: int, what: str) -> int:
    end = next((i for i, l in enumerate(lines) if i > start and l == '}'), None)
    if end is None:
        raise UserspaceError(f'{HEADER}: {what} does not end')
    return end


def spans(text: str) -> List[Tuple[int, int]]:
    """(first, last) 1-based lines of the header that the program compiles: from the
    definition of __TLBI_VADDR_RANGE() to the end of __tlbi_s2_range_request(), and
    __flush_tlb_range()."""
    lines = text.split('\n')
    first = next((i for i, l in enumerate(lines) if l.startswith(FIRST)), None)
    if first is None:
        raise UserspaceError(f'{HEADER}: no "{FIRST}": not the 6.1 series\' tlbflush.h')
    start = next((i for i, l in enumerate(lines) if i > first and LAST in l
                  and not l.lstrip().startswith('*')), None)
    if start is None:
        raise UserspaceError(f'{HEADER}: no {LAST}) after {FIRST}): not the 6.1 series\' tlbflush.h')
    s1 = next((i for i, l in enumerate(lines) if l.startswith(S1)), None)
    if s1 is None:
        raise UserspaceError(f'{HEADER}: no "{S1}": not the 6.1 series\' tlbflush.h')
    return [(first + 1, _end(lines, start, LAST + ')') + 1),
            (s1 + 1, _end(lines, s1, S1 + ')') + 1)]


def span(text: str) -> Tuple[int, int]:
    return spans(text)[0]


def extract(text: str) -> str:
    lines = text.split('\n')
    return ''.join('\n'.join(lines[a - 1:b]) + '\n' for a, b in spans(text))


@dataclass
class Run:
    ok: bool            # every page size compiled and passed
    built: bool         # every page size compiled
    detail: str


def run_text(header_text: str, work: str, timeout: float = 30) -> Run:
    """Compile and run the program on this tlbflush.h text, for every page size."""
    with open(os.path.join(work, 'extracted.h'), 'w', encoding='utf-8') as f:
        f.write(extract(header_text))
    details = []
    for shift in PAGE_SHIFTS:
        exe = os.path.join(work, f'tlbi_range_{shift}')
        cc = subprocess.run(['gcc', '-std=gnu11', '-O1', '-Wall', '-Wno-unused-function',
                             f'-DPAGE_SHIFT={shift}',
                             f'-DEXTRACTED="{os.path.join(work, "extracted.h")}"',
                             '-o', exe, PROGRAM], capture_output=True, text=True)
        if cc.returncode:
            return Run(False, False, f'PAGE_SHIFT={shift}: does not compile: ' +
                       ' '.join(cc.stderr.split('\n')[:3]))
        try:
            r = subprocess.run([exe], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Run(False, True, f'PAGE_SHIFT={shift}: did not finish in {timeout:.0f} s '
                       '(the series takes 20 times less)')
        if r.returncode:
            return Run(False, True, (r.stderr.strip().split('\n') or [''])[0])
        details.append(r.stdout.strip())
    return Run(True, True, '; '.join(details))


def run_tree(tree: str) -> Run:
    with open(os.path.join(tree, HEADER), encoding='utf-8') as f:
        text = f.read()
    work = tempfile.mkdtemp(prefix='tlbi-userspace-')
    try:
        return run_text(text, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _apply(tree_header: str, patch: str, work: str) -> Optional[str]:
    """The header with the mutant applied, or None when it does not apply."""
    d = os.path.join(work, 'tree')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, os.path.dirname(HEADER)))
    with open(os.path.join(d, HEADER), 'w', encoding='utf-8') as f:
        f.write(tree_header)
    r = subprocess.run(['git', 'apply', '--include', HEADER, os.path.abspath(patch)], cwd=d,
                       capture_output=True, text=True)
    if r.returncode:
        return None
    with open(os.path.join(d, HEADER), encoding='utf-8') as f:
        return f.read()


def judge(tree: str, patches: List[str]) -> List[Tuple[str, str, str]]:
    """(mutant, verdict, detail) for each mutant of tlbflush.h: killed (the program fails),
    survived, stillborn (does not compile), outside (changes no line the program compiles),
    other-file (not a tlbflush.h mutant) or error (does not apply)."""
    with open(os.path.join(tree, HEADER), encoding='utf-8') as f:
        text = f.read()
    where = ', '.join(f'{a}-{b}' for a, b in spans(text))
    work = tempfile.mkdtemp(prefix='tlbi-userspace-')
    out = []
    try:
        t0 = time.monotonic()
        base = run_text(text, work)
        timeout = max(5.0, 20 * (time.monotonic() - t0) / len(PAGE_SHIFTS))
        if not base.ok:
            raise UserspaceError(f'the series itself fails the userspace TLBI test: {base.detail}')
        for p in patches:
            m = mutants.parse(p)
            name = os.path.basename(p)
            if m.files != [HEADER]:
                out.append((name, 'other-file', ', '.join(m.files)))
                continue
            mutated = _apply(text, p, work)
            if mutated is None:
                out.append((name, 'error', 'does not apply'))
                continue
            if extract(mutated) == extract(text):
                out.append((name, 'outside', f'changes nothing in lines {where}'))
                continue
            r = run_text(mutated, work, timeout)
            out.append((name, 'killed' if r.built and not r.ok else
                        'stillborn' if not r.built else 'survived', r.detail))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
