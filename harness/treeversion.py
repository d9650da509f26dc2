"""Is a directory a Linux source tree of the series the base (bases/*) targets?"""
import os
import re
from typing import Optional, Tuple


class TreeError(Exception):
    pass


def read_version(src: str) -> Tuple[int, int, int, str]:
    mk = os.path.join(src, 'Makefile')
    if not os.path.isfile(mk):
        raise TreeError(f'{src}: no top-level Makefile: not a kernel source tree')
    vals = {}
    with open(mk, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = re.match(r'^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*=\s*(\S*)\s*$', line)
            if m and m.group(1) not in vals:
                vals[m.group(1)] = m.group(2)
            if len(vals) == 4:
                break
    try:
        return (int(vals['VERSION']), int(vals['PATCHLEVEL']),
                int(vals.get('SUBLEVEL') or 0), vals.get('EXTRAVERSION', ''))
    except (KeyError, ValueError):
        raise TreeError(f'{mk}: no VERSION/PATCHLEVEL lines: not a kernel source tree') from None


def check_tree(src: str, want: Tuple[int, int] = (6, 1)) -> str:
    """Returns "X.Y.N" of a tree of the wanted X.Y, or raises TreeError saying what is wrong and where."""
    ver, pl, sub, extra = read_version(src)
    found = f'{ver}.{pl}.{sub}{extra}'
    if (ver, pl) != want:
        w = f'{want[0]}.{want[1]}'
        raise TreeError(f'{src} is Linux {found}; this series is for {w}.y (point KERNEL_SRC at a {w}.y '
                        f'tree or leave it unset for Debian\'s linux-source-{w}; BASE= chooses the '
                        f'series, bases/ lists them)')
    for must in ('arch/arm64/kvm/hyp/pgtable.c', 'arch/arm64/kvm/mmu.c',
                 'tools/testing/selftests/kvm/Makefile', 'scripts/kconfig/merge_config.sh'):
        if not os.path.exists(os.path.join(src, must)):
            raise TreeError(f'{src} (Linux {found}) lacks {must}: not a complete kernel tree')
    return found


def sublevel(version: str) -> Optional[int]:
    m = re.match(r'^\d+\.\d+\.(\d+)', version)
    return int(m.group(1)) if m else None
