"""plan-select and the matrix table (no QEMU)."""
import os
import subprocess
import sys
import tempfile
import unittest

from harness import matrix, plan, results
from tests import TempFiles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SelectTest(TempFiles, unittest.TestCase):
    def test_order_and_override(self):
        a = self.write('a.plan', '10 x prog-x\n20 y prog-y -b 2M\n')
        b = self.write('b.plan', '30 z prog-z\n')
        o = self.write('o.plan', '# bigger\n40 y prog-y -b 512M\n')
        self.assertEqual(plan.select(['z', 'y'], [a, b]), '30 z prog-z\n20 y prog-y -b 2M\n')
        self.assertEqual(plan.select(['z', 'y'], [a, b], [o]), '30 z prog-z\n40 y prog-y -b 512M\n')

    def test_missing_and_unused(self):
        a = self.write('a.plan', '10 x prog-x\n')
        o = self.write('o.plan', '10 w prog-w\n')
        with self.assertRaises(plan.PlanError) as e:
            plan.select(['x', 'nope'], [a], [o])
        self.assertIn('nope: in none of', str(e.exception))
        self.assertIn('w: overridden but not selected', str(e.exception))

    def test_the_matrix_data(self):
        """Every page size's plan can be made from the repository's files, and the
        known-failures qualifiers are all known."""
        m = os.path.join(ROOT, 'plan', 'matrix')
        names = [l.strip() for l in open(os.path.join(m, 'tests')) if l.strip() and not l.startswith('#')]
        sizes = set()
        for line in open(os.path.join(m, 'configurations')):
            f = line.split()
            if f and not f[0].startswith('#'):
                self.assertEqual(len(f), 3, line)
                self.assertTrue(os.path.exists(os.path.join(ROOT, 'configs', 'page-size', f[2] + '.config')))
                sizes.add(f[2])
        self.assertTrue({'4k', '16k', '64k'} <= sizes)
        for ps in sizes:
            over = os.path.join(m, ps + '.plan')
            text = plan.select(names, [os.path.join(ROOT, 'plan', 'kvm.plan'),
                                       os.path.join(ROOT, 'plan', 'bench.plan')],
                               [over] if os.path.exists(over) else [])
            self.assertEqual(len(plan.parse_plan(text)), len(names))
        for _, line in matrix.load_counts(os.path.join(m, 'counts')):
            self.assertIn(line, names)
        plan.load_known_failures(os.path.join(ROOT, 'plan', 'known-failures'))


class KnownPageTest(unittest.TestCase):
    def test_page_qualifier(self):
        text = 'a page=64k too big here\na everywhere else\nb mode=nvhe page=16k both\n'
        self.assertEqual(plan.parse_known_failures(text, where={'cpu': 'max', 'mode': 'vhe', 'page': '64k'}),
                         {'a': 'too big here'})
        self.assertEqual(plan.parse_known_failures(text, where={'cpu': 'max', 'mode': 'nvhe', 'page': '4k'}),
                         {'a': 'everywhere else'})
        self.assertEqual(plan.parse_known_failures(text, where={'cpu': 'max', 'mode': 'nvhe', 'page': '16k'})['b'],
                         'both')


class TableTest(unittest.TestCase):
    def results_json(self, d, rows, console_text, mode='vhe'):
        con = os.path.join(d, 'console.log')
        with open(con, 'w') as f:
            f.write(console_text)
        p = os.path.join(d, 'results.json')
        with open(p, 'w') as f:
            f.write(results.to_json(rows, {'console': con, 'kvm_mode': mode}))
        return p

    def test_cells_and_status(self):
        d = tempfile.mkdtemp()
        counts = [('dirty', 'bench/d')]
        good = self.results_json(d, [
            results.Row('check', 'console: no WARNING/BUG/lockdep/KASAN/kmemleak/panic', 'PASS'),
            results.Row('kunit', 'kvm_pgtable', 'PASS', '4/6 cases passed, 2 skipped'),
            results.Row('test', 'bench/d', 'PASS', metrics={
                'calls:__kvm_tlb_flush_vmid': 0.0, 'calls:__kvm_tlb_flush_vmid_ipa': 12.0,
                'calls:__kvm_tlb_flush_vmid_range': 3.0}),
        ], '[ 1.0] kvm [1]: Hyp mode initialized successfully\n')
        c = matrix.cell('max-vhe-4k', good, counts)
        self.assertTrue(c['ok'])
        self.assertEqual(c['init'], 'Hyp mode initialized successfully')
        self.assertEqual(c['dirty'], '0/12/3')
        self.assertIn('2 cases skip', c['kunit'])
        self.assertEqual(c['splats'], 'none')
        nvhe = matrix.cell('max-nvhe-4k', self.results_json(tempfile.mkdtemp(), [], '', mode='nvhe'), counts)
        self.assertEqual(nvhe['dirty'], 'n/a (EL2)')
        missing = matrix.cell('max-vhe-64k', os.path.join(d, 'nope.json'), counts)
        self.assertFalse(missing['ok'])
        out = matrix.table([c, missing], counts)
        self.assertIn('1 of 2 configurations green; failed: max-vhe-64k', out)
        # The command's exit status follows the cells.
        r = subprocess.run([sys.executable, '-m', 'harness', 'matrix-table', '--counts',
                            os.path.join(ROOT, 'plan', 'matrix', 'counts'), f'a={good}'],
                           cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([sys.executable, '-m', 'harness', 'matrix-table', '--counts',
                            os.path.join(ROOT, 'plan', 'matrix', 'counts'), f'a={good}', 'b=/nonexistent'],
                           cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)


if __name__ == '__main__':
    unittest.main()
