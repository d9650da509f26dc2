"""The files a dynamically linked program needs, from an unpacked foreign root filesystem.

Used to put arm64 programs from Debian packages (scripts/deps.sh) into the test host's
initramfs: the programs, their ELF interpreter and every shared library they need,
transitively (DT_NEEDED, read with readelf, which handles any ELF machine)."""
import os
import re
import subprocess
from typing import Dict, List, Tuple

LIB_DIRS = ('lib/aarch64-linux-gnu', 'usr/lib/aarch64-linux-gnu', 'lib', 'usr/lib')
IMAGE_LIB_DIR = '/lib/aarch64-linux-gnu'


class ClosureError(Exception):
    pass


def in_root(root: str, path: str) -> str:
    """Resolve @path (absolute, as seen inside @root) to a regular file below @root,
    following symbolic links as the foreign system would."""
    rel = path.lstrip('/')
    for _ in range(40):
        full = os.path.join(root, rel)
        if not os.path.islink(full):
            if not os.path.isfile(full):
                raise ClosureError(f'{path}: not found below {root}')
            return full
        target = os.readlink(full)
        rel = target.lstrip('/') if target.startswith('/') else \
            os.path.normpath(os.path.join(os.path.dirname(rel), target))
    raise ClosureError(f'{path}: too many symbolic links below {root}')


def _readelf(args: List[str], path: str, readelf: str) -> str:
    try:
        return subprocess.run([readelf, *args, path], check=True, capture_output=True,
                              text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise ClosureError(f'{readelf} {" ".join(args)} {path}: {e}') from e


def closure(root: str, programs: List[str], readelf: str = 'readelf') -> List[Tuple[str, str]]:
    """(path in the image, file below @root) for @programs (absolute paths inside @root),
    their interpreter and their libraries, in a stable order."""
    found: Dict[str, str] = {}
    todo = []
    for prog in programs:
        found[prog] = in_root(root, prog)
        todo.append(found[prog])
        interp = re.search(r'program interpreter: ([^\]]+)\]',
                           _readelf(['-l', '-W'], found[prog], readelf))
        if interp:
            found[interp.group(1)] = in_root(root, interp.group(1))
    seen = set()
    while todo:
        f = todo.pop()
        for soname in re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]',
                                 _readelf(['-d', '-W'], f, readelf)):
            if soname in seen:
                continue
            seen.add(soname)
            for d in LIB_DIRS:
                try:
                    lib = in_root(root, f'/{d}/{soname}')
                    break
                except ClosureError:
                    continue
            else:
                raise ClosureError(f'{soname} (needed by {os.path.relpath(f, root)}) is in none of '
                                   f'{", ".join(LIB_DIRS)} below {root}: a package missing from '
                                   f'the download?')
            found[f'{IMAGE_LIB_DIR}/{soname}'] = lib
            todo.append(lib)
    return sorted(found.items())


def cpio_lines(files: List[Tuple[str, str]]) -> List[str]:
    """gen_init_cpio lines: the directories, then the files (mode 0755)."""
    dirs = set()
    for dest, _ in files:
        d = os.path.dirname(dest)
        while d not in ('/', ''):
            dirs.add(d)
            d = os.path.dirname(d)
    return [f'dir {d} 0755 0 0' for d in sorted(dirs)] + \
        [f'file {dest} {src} 0755 0 0' for dest, src in files]
