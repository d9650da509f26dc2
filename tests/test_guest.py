"""The self-checking guest of the migration scenarios (guest/), run here under QEMU TCG (no KVM
needed): it must make progress, and it must report a single flipped bit (the CORRUPT_TEST
build flips one bit of one page after pass 2) and power itself off."""
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = 'qemu-system-aarch64'
CROSS = 'aarch64-linux-gnu-'


@unittest.skipUnless(shutil.which(QEMU) and shutil.which(CROSS + 'gcc'),
                     'needs qemu-system-arm and the aarch64 cross compiler (scripts/deps.sh build)')
class GuestTest(unittest.TestCase):
    def build(self, extra=''):
        out = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, out)
        subprocess.run(['make', '-s', '-C', os.path.join(ROOT, 'guest'), f'CROSS={CROSS}',
                        f'O={out}', f'EXTRA_CFLAGS={extra}'], check=True)
        return os.path.join(out, 'selfcheck.elf')

    def run_guest(self, elf, until, limit=60):
        """The guest's serial output up to the first line that starts with @until, and QEMU's
        exit status (None if it had to be killed: at @until, or after @limit seconds)."""
        p = subprocess.Popen([QEMU, '-M', 'virt', '-cpu', 'max', '-m', '320M', '-nodefaults',
                              '-display', 'none', '-serial', 'stdio', '-kernel', elf],
                             stdout=subprocess.PIPE, text=True)
        watchdog = threading.Timer(limit, p.kill)
        watchdog.start()
        lines = []
        try:
            for line in p.stdout:
                lines.append(line.rstrip('\n'))
                if line.startswith(until):
                    break
            try:
                rc = p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                rc = None
        finally:
            watchdog.cancel()
            p.kill()
            p.wait()
            p.stdout.close()
        return lines, rc

    def test_progress(self):
        lines, _ = self.run_guest(self.build(), 'OK pass=5')
        self.assertGreaterEqual(len(lines), 6, lines)
        self.assertEqual(lines[0], 'selfcheck: region 0x42000000+0x10000000, 65536 pages')
        self.assertEqual(lines[1:6], [f'OK pass={n}' for n in range(1, 6)])

    def test_flipped_bit_is_reported(self):
        lines, rc = self.run_guest(self.build('-DCORRUPT_TEST'), 'FAILED')
        self.assertEqual(lines[1:3], ['OK pass=1', 'OK pass=2'])
        self.assertEqual(len([l for l in lines if l.startswith('MISMATCH page=')]), 1, lines)
        self.assertEqual(lines[-1], 'FAILED pass=3')
        # PSCI SYSTEM_OFF: QEMU exits by itself, status 0.
        self.assertEqual(rc, 0)


if __name__ == '__main__':
    unittest.main()
