"""Unit tests of harness/elfclosure.py (which arm64 files the test host's QEMU needs): a small
root filesystem made with the cross toolchain, with the absolute symbolic links Debian uses."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import elfclosure

CROSS_LIB = '/usr/aarch64-linux-gnu/lib'
GCC = 'aarch64-linux-gnu-gcc'
READELF = 'aarch64-linux-gnu-readelf'


@unittest.skipUnless(shutil.which(GCC) and shutil.which(READELF) and os.path.isdir(CROSS_LIB),
                     'needs the aarch64 cross toolchain (scripts/deps.sh build)')
class ClosureTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        libdir = os.path.join(self.root, 'lib/aarch64-linux-gnu')
        os.makedirs(libdir)
        os.makedirs(os.path.join(self.root, 'usr/bin'))
        for lib in ('libc.so.6', 'libm.so.6', 'ld-linux-aarch64.so.1'):
            shutil.copy(os.path.join(CROSS_LIB, lib), libdir)
        # As in Debian's libc6: an absolute link, which must resolve inside the root.
        os.symlink('/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1',
                   os.path.join(self.root, 'lib/ld-linux-aarch64.so.1'))
        src = os.path.join(self.root, 'prog.c')
        with open(src, 'w', encoding='utf-8') as f:
            f.write('#include <math.h>\nint main(int c, char **v) { return (int)sqrt(c + **v); }\n')
        self.prog = os.path.join(self.root, 'usr/bin/prog')
        subprocess.run([GCC, '-O2', '-o', self.prog, src, '-lm'], check=True)

    def test_program_interpreter_and_libraries(self):
        files = dict(elfclosure.closure(self.root, ['/usr/bin/prog'], READELF))
        # (libm and libc need the dynamic linker by name too)
        self.assertEqual(sorted(files), ['/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1',
                                         '/lib/aarch64-linux-gnu/libc.so.6',
                                         '/lib/aarch64-linux-gnu/libm.so.6',
                                         '/lib/ld-linux-aarch64.so.1', '/usr/bin/prog'])
        # The link was followed inside the root, not on this machine.
        self.assertEqual(files['/lib/ld-linux-aarch64.so.1'],
                         os.path.join(self.root, 'lib/aarch64-linux-gnu/ld-linux-aarch64.so.1'))
        lines = elfclosure.cpio_lines(sorted(files.items()))
        self.assertLess(lines.index('dir /lib 0755 0 0'),
                        lines.index('dir /lib/aarch64-linux-gnu 0755 0 0'))
        self.assertIn(f'file /usr/bin/prog {self.prog} 0755 0 0', lines)

    def test_missing_library_is_named(self):
        os.unlink(os.path.join(self.root, 'lib/aarch64-linux-gnu/libm.so.6'))
        with self.assertRaisesRegex(elfclosure.ClosureError, r'libm\.so\.6 \(needed by usr/bin/prog\)'):
            elfclosure.closure(self.root, ['/usr/bin/prog'], READELF)

    def test_missing_program(self):
        with self.assertRaisesRegex(elfclosure.ClosureError, r'/usr/bin/qemu: not found'):
            elfclosure.closure(self.root, ['/usr/bin/qemu'], READELF)

    def test_link_loop(self):
        os.symlink('/usr/bin/loop', os.path.join(self.root, 'usr/bin/loop'))
        with self.assertRaisesRegex(elfclosure.ClosureError, 'too many symbolic links'):
            elfclosure.closure(self.root, ['/usr/bin/loop'], READELF)


if __name__ == '__main__':
    unittest.main()
