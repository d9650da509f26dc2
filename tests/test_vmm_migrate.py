"""init/vmm_migrate.c reads the guest's serial log while QEMU writes it: only complete lines
count (a half-written 'selfcheck: region ... 655' once failed the block check for no bug)."""
import os
import subprocess
import unittest

from tests import TempFiles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SerialReaderTest(TempFiles, unittest.TestCase):
    def test_only_complete_lines(self):
        exe = os.path.join(self.tmp, 'serial-test')
        subprocess.run(['gcc', '-O2', '-Wall', '-Wno-unused-function',
                        '-o', exe, os.path.join(ROOT, 'tests', 'c', 'vmm_migrate_serial.c')],
                       check=True)
        r = subprocess.run([exe, os.path.join(self.tmp, 'serial.log')], capture_output=True,
                           text=True, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count('ok   '), 7, r.stdout)


if __name__ == '__main__':
    unittest.main()
