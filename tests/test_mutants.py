"""The mutant catalogue's header parser and verdicts (harness/mutants.py); no kernel, no QEMU."""
import os
import unittest

from tests import TempFiles
from harness import mutants, results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PATCH = """From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Reviewers <mutants@localhost>
Subject: mutant: example

Breaks: 0011-KVM-arm64-Install-the-block-first-when-coalescing-a-.patch
Class: ordering
Mistake: the block's cache maintenance runs after the block is
  stored
Killed-by: kunit:kvm_pgtable plan:page_table/anonymous
{extra}---
 arch/arm64/kvm/hyp/pgtable.c | 2 +-

diff --git a/arch/arm64/kvm/hyp/pgtable.c b/arch/arm64/kvm/hyp/pgtable.c
--- a/arch/arm64/kvm/hyp/pgtable.c
+++ b/arch/arm64/kvm/hyp/pgtable.c
@@ -1 +1 @@
-a
+b
"""


def rows_json(*rows):
    return results.to_json([results.Row(k, n, s) for k, n, s in rows], {})


class MutantTest(TempFiles, unittest.TestCase):
    def test_parse(self):
        m = mutants.parse(self.write('01-x.patch', PATCH.format(extra='')))
        self.assertEqual(m.cls, 'ordering')
        self.assertEqual(m.mistake, "the block's cache maintenance runs after the block is stored")
        self.assertEqual(m.killers, ['kunit:kvm_pgtable', 'plan:page_table/anonymous'])
        self.assertIsNone(m.unobservable)
        self.assertEqual(m.files, ['arch/arm64/kvm/hyp/pgtable.c'])
        self.assertFalse(m.touches_selftests)
        m = mutants.parse(self.write('02-y.patch', PATCH.format(extra='Unobservable: a barrier\n')))
        self.assertEqual(m.unobservable, 'a barrier')

    def test_observable_with(self):
        """A mutant only some configurations can kill is not run (never counted) in the others."""
        m = mutants.parse(self.write('04-w.patch', PATCH.format(
            extra='Observable-with: QEMU_CPU=neoverse-n1 PAGE_SIZE=4k\n')))
        self.assertEqual(m.observable_with, ['QEMU_CPU=neoverse-n1', 'PAGE_SIZE=4k'])
        self.assertIsNone(mutants.unobservable_in(m, {'QEMU_CPU': 'neoverse-n1', 'PAGE_SIZE': '4k'}))
        self.assertEqual(mutants.unobservable_in(m, {'QEMU_CPU': 'max', 'PAGE_SIZE': '4k'}),
                         'observable only with QEMU_CPU=neoverse-n1 (this run: QEMU_CPU=max)')
        self.assertIn('PAGE_SIZE=4k (this run: PAGE_SIZE=16k)',
                      mutants.unobservable_in(m, {'QEMU_CPU': 'neoverse-n1', 'PAGE_SIZE': '16k'}))
        self.assertIn('this run: QEMU_CPU=unset', mutants.unobservable_in(m, {}))
        plain = mutants.parse(self.write('05-v.patch', PATCH.format(extra='')))
        self.assertIsNone(mutants.unobservable_in(plain, {}))
        series = ['0011-KVM-arm64-Install-the-block-first-when-coalescing-a-.patch']
        plans = [os.path.join(ROOT, 'plan', 'kvm.plan')]
        self.assertEqual(mutants.check([m, plain], series, plans, ['kvm_pgtable']), [])
        for bad in ('QEMU_GPU=max', 'QEMU_CPU', 'QEMU_CPU='):
            b = mutants.parse(self.write('06-u.patch', PATCH.format(extra=f'Observable-with: {bad}\n')))
            problems = mutants.check([b], series, plans, ['kvm_pgtable'])
            self.assertEqual(len(problems), 1, bad)
            self.assertIn('Observable-with', problems[0])

    def test_bad_headers(self):
        for bad in ('Class: ordering\n', 'Class: sloppy\n'):
            text = PATCH.replace('Class: ordering\n', bad if 'sloppy' in bad else '')
            with self.assertRaises(mutants.MutantError):
                mutants.parse(self.write('03-z.patch', text.format(extra='')))

    def test_verdicts(self):
        m = mutants.parse(self.write('01-x.patch', PATCH.format(extra='')))
        cases = {
            'killed': [('kunit', 'kvm_pgtable', 'FAIL'), ('test', 'page_table/anonymous', 'PASS')],
            'killed-plan': [('kunit', 'kvm_pgtable', 'PASS'), ('test', 'page_table/anonymous', 'TIMEOUT')],
            'other': [('kunit', 'kvm_pgtable', 'PASS'), ('test', 'page_table/anonymous', 'PASS'),
                      ('check', 'console: no WARNING/BUG/lockdep/KASAN/kmemleak/panic', 'FAIL')],
            'survived': [('kunit', 'kvm_pgtable', 'PASS'), ('test', 'page_table/anonymous', 'PASS')],
            'skipped': [('kunit', 'kvm_pgtable', 'SKIP'), ('test', 'page_table/anonymous', 'XFAIL')],
            'missing': [('test', 'page_table/anonymous', 'PASS')],
        }
        got = {}
        for name, rows in cases.items():
            got[name] = mutants.verdict(m, self.write(name + '.json', rows_json(*rows)))
        self.assertEqual(got['killed'][0], 'killed')
        self.assertEqual(got['killed-plan'], ('killed', 'page_table/anonymous TIMEOUT'))
        self.assertEqual(got['other'][0], 'killed')
        self.assertIn('not by its claimed killer', got['other'][1])
        self.assertEqual(got['survived'], ('survived', 'every test passed'))
        self.assertEqual(got['skipped'][0], 'survived')            # a skip never kills
        self.assertEqual(got['missing'], ('survived', 'did not run: kvm_pgtable'))

    def test_subset_plan(self):
        m = mutants.parse(self.write('01-x.patch', PATCH.format(extra='')))
        out = os.path.join(self.tmp, 'plan')
        n = mutants.subset_plan(m, [os.path.join(ROOT, 'plan', 'kvm.plan')], out)
        self.assertEqual(n, 1)
        with open(out, encoding='utf-8') as f:
            self.assertIn('kvm_page_table_test -b 32M -s anonymous', f.read())

    def test_catalogue(self):
        """The committed catalogue parses, names real patches and tests, and has >= 30 mutants."""
        d = os.path.join(ROOT, 'mutants')
        ms = mutants.load_dir(d)
        with open(os.path.join(ROOT, 'patches', 'series'), encoding='utf-8') as f:
            series = [l.strip() for l in f if l.strip() and not l.startswith('#')]
        with open(os.path.join(ROOT, 'plan', 'kunit-suites'), encoding='utf-8') as f:
            suites = [l.strip() for l in f if l.strip() and not l.startswith('#')]
        plans = [os.path.join(ROOT, 'plan', p) for p in ('kvm.plan', 'bench.plan')]
        self.assertEqual(mutants.check(ms, series, plans, suites), [])
        self.assertGreaterEqual(len(ms), 30)
        self.assertEqual(len({m.name.split('-', 1)[1] for m in ms}), len(ms))


if __name__ == '__main__':
    unittest.main()
