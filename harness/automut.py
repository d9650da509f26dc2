"""Mechanical mutants of a series' own diff (issue: tests that catch the mistakes nobody
listed). The hand-written catalogue (mutants/) holds the mistakes the series' authors thought
of; these are generated from the non-test lines the series adds or changes, by rules that
know nothing of the tests:

  relational   <  <=  >  >=  ==  !=   each turned into its neighbours
  logical      &&  ||                 swapped; a leading ! dropped
  arithmetic   +  -  <<  >>  *  /     swapped with their counterpart
  constant     an integer literal     +1 and -1 (0 -> 1)
  condition    if (c) / while (c)     forced true and forced false
  arguments    f(a, b, ...)           the first two arguments swapped
  statement    a one-line statement   deleted

Which lines are the series' own comes from git blame of the series tree (one commit per
patch, as apply-series.sh makes it) against the base: a line whose commit is not the
boundary. Comments, string literals and preprocessor directives other than #define are
never mutated. Each mutant is written as a patch on top of the series in the format of
mutants/ (harness/mutants.py reads it), Class: mechanical, so that mutants.sh runs it with
the same tests and verdicts.
"""
import difflib
import os
import random
import re
import subprocess
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

# Files whose lines are tests, not code under test.
TEST_FILE = re.compile(r'(_kunit\.c$|^tools/testing/|(^|/)Kconfig|(^|/)Makefile$|\.kunitconfig$)')


@dataclass(frozen=True)
class Mutation:
    path: str           # in the tree
    line: int           # 1-based, in the series' version of the file
    op: str             # the rule: relational, constant, ...
    old: str            # the whole line before
    new: str            # the whole line after
    commit: str         # the series commit that wrote the line

    @property
    def key(self) -> str:
        return f'{self.path}:{self.line}:{self.op}:{self.new.strip()}'


# ---- which characters of a line are code ------------------------------------------------

def code_masks(lines: Sequence[str]) -> List[List[bool]]:
    """Per line, per character: True where the character is code (not inside a comment, a
    string or a character literal). Block comments carry over from line to line."""
    masks = []
    in_block = False
    for text in lines:
        mask = [False] * len(text)
        i = 0
        while i < len(text):
            if in_block:
                end = text.find('*/', i)
                if end < 0:
                    i = len(text)
                    break
                i = end + 2
                in_block = False
                continue
            c = text[i]
            if text.startswith('/*', i):
                in_block = True
                i += 2
                continue
            if text.startswith('//', i):
                break
            if c in '"\'':
                j = i + 1
                while j < len(text) and text[j] != c:
                    j += 2 if text[j] == '\\' else 1
                i = j + 1
                continue
            mask[i] = True
            i += 1
        masks.append(mask)
    return masks


# ---- the rules ------------------------------------------------------------------------------

RELATIONAL = {'<': ['<=', '>'], '<=': ['<', '>'], '>': ['>=', '<'], '>=': ['>', '<'],
              '==': ['!='], '!=': ['==']}
LOGICAL = {'&&': ['||'], '||': ['&&']}
ARITH = {'+': ['-'], '-': ['+'], '<<': ['>>'], '>>': ['<<'], '*': ['/'], '/': ['*'],
         '&': ['|'], '|': ['&'], '+=': ['-='], '-=': ['+='], '<<=': ['>>='], '>>=': ['<<='],
         '|=': ['&=']}
# Longest first, so that "<<=" is not read as "<<" and "=".
TOKEN = re.compile(r'<<=|>>=|->|\+\+|--|&&|\|\||<<|>>|<=|>=|==|!=|[-+*/%&|^]=|[<>+\-*/!&|]')
NUMBER = re.compile(r'(?<![\w.])(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)(?![\w.])')
CONDITION = re.compile(r'\b(if|while)\s*\(')
CALL = re.compile(r'\b([A-Za-z_]\w*)\s*\(')
# Calls whose first two arguments commute: swapping them is an equivalent mutant.
COMMUTATIVE = {'min', 'max', 'min_t', 'max_t', 'swap'}
KEYWORDS = {'if', 'while', 'for', 'switch', 'return', 'sizeof', 'defined', 'typeof',
            '__typeof__', 'likely', 'unlikely', 'READ_ONCE', 'WRITE_ONCE', 'BUILD_BUG_ON',
            'WARN_ON', 'WARN_ON_ONCE', 'BUG_ON'}


def _code(text: str, mask: List[bool], start: int, end: int) -> bool:
    return all(mask[i] for i in range(start, min(end, len(mask))))


def _unary_context(text: str, pos: int) -> bool:
    """A '-', '+' or '*' at pos that is unary (or a pointer declarator), not binary."""
    before = text[:pos].rstrip()
    return not before or before[-1] in '([{,=?:;!~&|^<>+-*/%' or \
        re.search(r'\b(return|case|sizeof)$', before) is not None or \
        re.search(r'\b(struct\s+\w+|const|u8|u16|u32|u64|s8|s16|s32|s64|int|long|char|void|'
                  r'bool|size_t|phys_addr_t|kvm_pte_t|unsigned)\s*$', before) is not None


def _matching_paren(text: str, open_pos: int) -> Optional[int]:
    depth = 0
    for i in range(open_pos, len(text)):
        if text[i] == '(':
            depth += 1
        elif text[i] == ')':
            depth -= 1
            if depth == 0:
                return i
    return None


def _split_args(inner: str) -> List[Tuple[int, int]]:
    """(start, end) of each top-level argument in the text between a call's parentheses."""
    spans, depth, start = [], 0, 0
    for i, c in enumerate(inner):
        if c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
        elif c == ',' and depth == 0:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(inner)))
    return spans


def line_mutations(text: str, mask: List[bool]) -> Iterator[Tuple[str, str]]:
    """(rule, new line) for every mutation of one line of code."""
    stripped = text.strip()
    if not stripped or not any(mask):
        return
    if stripped.startswith('#') and not stripped.startswith('#define'):
        return
    body_from = 0
    if stripped.startswith('#define'):
        m = re.match(r'\s*#define\s+\w+(\([^)]*\))?', text)
        body_from = m.end() if m else len(text)
    for m in TOKEN.finditer(text):
        tok, s, e = m.group(0), m.start(), m.end()
        if s < body_from or not _code(text, mask, s, e):
            continue
        if tok in RELATIONAL:
            # '<' / '>' of an #include or a '->' never get here; skip the shift-looking
            # template-free cases only by the table
            for new in RELATIONAL[tok]:
                yield 'relational', text[:s] + new + text[e:]
        elif tok in LOGICAL:
            for new in LOGICAL[tok]:
                yield 'logical', text[:s] + new + text[e:]
        elif tok == '!' and not text.startswith('=', e):
            yield 'logical', text[:s] + text[e:]
        elif tok in ARITH:
            if tok in ('+', '-', '*', '&') and _unary_context(text, s):
                continue
            for new in ARITH[tok]:
                yield 'arithmetic', text[:s] + new + text[e:]
    for m in NUMBER.finditer(text):
        s, e = m.start(1), m.end(1)
        if s < body_from or not _code(text, mask, s, e):
            continue
        lit = m.group(1)
        value = int(lit, 16) if lit.lower().startswith('0x') else int(lit)
        fmt = (lambda v: hex(v)) if lit.lower().startswith('0x') else str
        for v in sorted({value + 1, value - 1} - {-1}):
            yield 'constant', text[:s] + fmt(v) + text[e:]
    for m in CONDITION.finditer(text):
        if not _code(text, mask, m.start(), m.end()):
            continue
        close = _matching_paren(text, m.end() - 1)
        if close is None:
            continue
        for forced in ('1', '0'):
            yield 'condition', text[:m.end()] + forced + text[close:]
    for m in CALL.finditer(text):
        if m.group(1) in KEYWORDS or m.group(1) in COMMUTATIVE or not _code(text, mask, m.start(), m.end()) or \
                m.start() < body_from:
            continue
        close = _matching_paren(text, m.end() - 1)
        if close is None:
            continue
        inner = text[m.end():close]
        spans = _split_args(inner)
        if len(spans) < 2:
            continue
        (s0, e0), (s1, e1) = spans[0], spans[1]
        a, b = inner[s0:e0], inner[s1:e1]
        if a.strip() == b.strip() or not a.strip() or not b.strip():
            continue

        def put(slot: str, arg: str) -> str:     # arg in slot's place, slot's spacing kept
            lead = slot[:len(slot) - len(slot.lstrip())]
            return lead + arg.strip() + slot[len(slot.rstrip()):]
        swapped = inner[:s0] + put(a, b) + inner[e0:s1] + put(b, a) + inner[e1:]
        yield 'arguments', text[:m.end()] + swapped + text[close:]
    if re.match(r'\s*[^\s#{}].*;\s*$', text) and not re.match(
            r'\s*(return\b|break\b|continue\b|goto\b|case\b|default\b|else\b|'
            r'(static\s+|const\s+|struct\s+|unsigned\s+|enum\s+|union\s+)*'
            r'[A-Za-z_]\w*(\s*\*)*\s+\**[A-Za-z_]\w*(\[[^]]*\])?\s*(=|;|,))', text) and \
            text.count('(') == text.count(')') and all(mask[i] for i in range(len(text) - len(text.lstrip()), len(text.rstrip()))):
        yield 'statement', ''


# ---- the series' lines -------------------------------------------------------------------------

def _git(tree: str, *args: str) -> str:
    return subprocess.run(['git', '-C', tree, *args], check=True, capture_output=True,
                          text=True).stdout


def series_lines(tree: str, base: str, path: str) -> Dict[int, str]:
    """{line number: commit} of the lines of path at HEAD that the series wrote."""
    out = _git(tree, 'blame', '--porcelain', f'{base}..HEAD', '--', path)
    owner: Dict[int, str] = {}
    boundary = set()
    commit = None
    for line in out.splitlines():
        m = re.match(r'^([0-9a-f]{40}) \d+ (\d+)', line)
        if m:
            commit, final = m.group(1), int(m.group(2))
            owner[final] = commit
        elif line == 'boundary' and commit:
            boundary.add(commit)
    return {n: c for n, c in owner.items() if c not in boundary}


def changed_files(tree: str, base: str) -> List[str]:
    out = _git(tree, 'diff', '--name-only', '--diff-filter=AM', f'{base}..HEAD')
    return [p for p in out.split() if p.endswith(('.c', '.h')) and not TEST_FILE.search(p)]


def mutations_of(path: str, lines: List[str], owned: Dict[int, str]) -> List[Mutation]:
    masks = code_masks(lines)
    out, seen = [], set()
    for n in sorted(owned):
        text = lines[n - 1]
        for op, new in line_mutations(text, masks[n - 1]):
            m = Mutation(path, n, op, text, new, owned[n])
            if m.key not in seen and new != text:
                seen.add(m.key)
                out.append(m)
    return out


def generate(tree: str, base: str, files: Sequence[str] = ()) -> List[Mutation]:
    """Every mechanical mutation of the series' non-test lines in tree (HEAD = the series)."""
    out = []
    for path in files or changed_files(tree, base):
        owned = series_lines(tree, base, path)
        with open(os.path.join(tree, path), encoding='utf-8') as f:
            lines = f.read().split('\n')
        out += mutations_of(path, lines, owned)
    return out


def sample(ms: List[Mutation], per_file: int, seed: int) -> List[Mutation]:
    """A fixed-seed sample of at most per_file mutations of each file (0: all), in order."""
    if per_file <= 0:
        return list(ms)
    chosen = []
    for path in sorted({m.path for m in ms}):
        mine = [m for m in ms if m.path == path]
        rng = random.Random(f'{seed}:{path}')
        pick = sorted(rng.sample(range(len(mine)), min(per_file, len(mine))))
        chosen += [mine[i] for i in pick]
    return chosen


# ---- mutants as patches -------------------------------------------------------------------------

def unified_diff(path: str, lines: List[str], m: Mutation) -> str:
    new = list(lines)
    if m.new == '':
        del new[m.line - 1]
    else:
        new[m.line - 1] = m.new
    # lines is the file split at '\n': a file that ends in a newline ends in ''
    def keep(ls):
        return [l + '\n' for l in (ls[:-1] if ls and ls[-1] == '' else ls)]
    body = difflib.unified_diff(keep(lines), keep(new), f'a/{path}', f'b/{path}', n=3)
    return f'diff --git a/{path} b/{path}\n' + ''.join(body)


def patch_text(m: Mutation, lines: List[str], breaks: str, killers: Sequence[str],
               name: str) -> str:
    what = 'deleted' if m.new == '' else f'-> `{m.new.strip()}`'
    mistake = f'{m.op} at {m.path}:{m.line}: `{m.old.strip()}` {what}'
    return (f'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
            f'From: harness automut <mutants@localhost>\n'
            f'Date: Thu, 1 Jan 1970 00:00:00 +0000\n'
            f'Subject: mutant: {name}\n\n'
            f'Breaks: {breaks}\n'
            f'Class: mechanical\n'
            f'Mistake: {mistake}\n'
            f'Killed-by: {" ".join(killers)}\n'
            f'---\n' + unified_diff(m.path, lines, m))
