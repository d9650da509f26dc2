"""harness/automut.py: mechanical mutants of the series' own lines."""
import os
import subprocess
import tempfile
import unittest

from harness import automut, mutants


def muts(text):
    return list(automut.line_mutations(text, automut.code_masks([text])[0]))


class RulesTest(unittest.TestCase):
    def test_relational_logical_condition(self):
        got = muts('\tif (pages > max && !range)')
        self.assertIn(('relational', '\tif (pages >= max && !range)'), got)
        self.assertIn(('relational', '\tif (pages < max && !range)'), got)
        self.assertIn(('logical', '\tif (pages > max || !range)'), got)
        self.assertIn(('logical', '\tif (pages > max && range)'), got)
        self.assertIn(('condition', '\tif (1)'), got)
        self.assertIn(('condition', '\tif (0)'), got)
        self.assertEqual(len(got), 6)

    def test_arithmetic_skips_unary_and_pointers(self):
        got = muts('\t*pages = (end - *start) >> PAGE_SHIFT;')
        self.assertEqual([n for r, n in got if r == 'arithmetic'],
                         ['\t*pages = (end + *start) >> PAGE_SHIFT;',
                          '\t*pages = (end - *start) << PAGE_SHIFT;'])
        self.assertEqual(muts('\tu64 *p = &x;'), [])
        self.assertEqual(muts('\tstruct kvm_s2_mmu *mmu = data->mmu;'), [])
        self.assertEqual(muts('\tctx->addr += size;'),
                         [('arithmetic', '\tctx->addr -= size;'), ('statement', '')])

    def test_constants_and_arguments(self):
        got = muts('#define MAX_PAGES\t__TLBI_RANGE_PAGES(31, 3)')
        self.assertEqual(sorted(n for r, n in got if r == 'constant'),
                         sorted(['#define MAX_PAGES\t__TLBI_RANGE_PAGES(30, 3)',
                                 '#define MAX_PAGES\t__TLBI_RANGE_PAGES(32, 3)',
                                 '#define MAX_PAGES\t__TLBI_RANGE_PAGES(31, 2)',
                                 '#define MAX_PAGES\t__TLBI_RANGE_PAGES(31, 4)']))
        self.assertIn(('arguments', '#define MAX_PAGES\t__TLBI_RANGE_PAGES(3, 31)'), got)
        self.assertIn(('arguments', '\tflush(mmu, addr + 1, pages);'.replace('mmu, addr + 1', 'addr + 1, mmu')),
                      muts('\tflush(mmu, addr + 1, pages);'))
        # min() commutes: swapping its arguments is an equivalent mutant, not generated
        self.assertNotIn('arguments', [r for r, _ in muts('\tn = min(a, b);')])
        self.assertIn(('constant', '\tx = 0x11;'), muts('\tx = 0x10;'))
        self.assertIn(('constant', '\tx = 1;'), muts('\tx = 0;'))
        self.assertNotIn(('constant', '\tx = -1;'), muts('\tx = 0;'))

    def test_comments_strings_directives_untouched(self):
        self.assertEqual(muts('\t/* a < b, 32 - 1 */'), [])
        self.assertEqual(muts('#include <linux/kvm_host.h>'), [])
        self.assertEqual(muts('#if PAGE_SHIFT > 12'), [])
        got = muts('\tpr_info("%d < %d\\n", a, 2); // x > 1')
        self.assertFalse([n for r, n in got if r == 'relational'])
        self.assertIn(('constant', '\tpr_info("%d < %d\\n", a, 3); // x > 1'), got)
        masks = automut.code_masks(['a = 1; /* start', ' b < c', ' end */ d = e - f;'])
        self.assertEqual(muts_with(' b < c', masks[1]), [])
        self.assertIn(('arithmetic', ' end */ d = e + f;'), muts_with(' end */ d = e - f;', masks[2]))

    def test_statement_deletion_only_whole_statements(self):
        self.assertIn(('statement', ''), muts('\tdsb(ish);'))
        self.assertNotIn(('statement', ''), muts('\treturn x;'))
        self.assertNotIn(('statement', ''), muts('\tu64 x = 1;'))
        self.assertNotIn(('statement', ''), muts('\t\t      pages);'))     # end of a longer call
        self.assertNotIn(('statement', ''), muts('\t} while (x);'))


def muts_with(text, mask):
    return list(automut.line_mutations(text, mask))


def git(d, *args):
    return subprocess.run(['git', '-C', d, *args], check=True, capture_output=True, text=True).stdout


class SeriesTest(unittest.TestCase):
    """A base commit and two 'patches': only the series' lines are mutated, each mutant is a
    patch that applies on the series and that harness/mutants.py reads."""
    def setUp(self):
        self.d = tempfile.mkdtemp()
        git(self.d, 'init', '-q')
        git(self.d, 'config', 'user.name', 'T')
        git(self.d, 'config', 'user.email', 't@t.org')
        self.write('arch/arm64/kvm/mmu.c', ['int f(int a)', '{', '\treturn a + 1;', '}', ''])
        git(self.d, 'add', '.')
        git(self.d, 'commit', '-q', '-m', 'base')
        self.base = git(self.d, 'rev-parse', 'HEAD').strip()
        self.write('arch/arm64/kvm/mmu.c', ['int f(int a)', '{', '\tif (a > 4)', '\t\ta = 4;',
                                            '\treturn a + 1;', '}', ''])
        self.write('arch/arm64/kvm/mmu_kunit.c', ['int g(int a) { return a < 3; }', ''])
        git(self.d, 'add', '.')
        git(self.d, 'commit', '-q', '-m', 'KVM: arm64: Cap a')
        self.write('arch/arm64/kvm/mmu.c', ['int f(int a)', '{', '\tif (a > 4)', '\t\ta = 4;',
                                            '\tkick(a, 2);', '\treturn a + 1;', '}', ''])
        git(self.d, 'commit', '-q', '-am', 'KVM: arm64: Kick')
        self.tip = git(self.d, 'rev-parse', 'HEAD').strip()

    def write(self, path, lines):
        full = os.path.join(self.d, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write('\n'.join(lines))

    def test_only_series_lines_of_code_files(self):
        self.assertEqual(automut.changed_files(self.d, self.base), ['arch/arm64/kvm/mmu.c'])
        owned = automut.series_lines(self.d, self.base, 'arch/arm64/kvm/mmu.c')
        self.assertEqual(sorted(owned), [3, 4, 5])
        ms = automut.generate(self.d, self.base)
        self.assertTrue(ms)
        self.assertFalse([m for m in ms if m.line in (1, 2, 6, 7)], 'a base line was mutated')
        by_commit = {m.line: m.commit for m in ms}
        self.assertNotEqual(by_commit[3], by_commit[5])     # blamed on the patch that wrote it

    def test_sample_is_fixed_and_bounded(self):
        ms = automut.generate(self.d, self.base)
        a = automut.sample(ms, 3, seed=7)
        self.assertEqual(a, automut.sample(ms, 3, seed=7))
        self.assertEqual(len(a), 3)
        self.assertEqual(automut.sample(ms, 0, seed=7), ms)

    def test_every_mutant_applies_and_parses(self):
        path = 'arch/arm64/kvm/mmu.c'
        with open(os.path.join(self.d, path)) as f:
            lines = f.read().split('\n')
        out = tempfile.mkdtemp()
        ms = automut.generate(self.d, self.base)
        for i, m in enumerate(ms):
            name = f'auto-{i:03d}.patch'
            p = os.path.join(out, name)
            with open(p, 'w') as f:
                f.write(automut.patch_text(m, lines, '0001-KVM-arm64-Cap-a.patch', ['kunit:kvm_pgtable'],
                                           name[:-6]))
            git(self.d, 'apply', '--check', p)
            parsed = mutants.parse(p)
            self.assertEqual(parsed.cls, 'mechanical')
            self.assertEqual(parsed.files, [path])
            self.assertIn(f'{path}:{m.line}', parsed.mistake)
        deleted = [m for m in ms if m.op == 'statement' and m.line == 5]
        self.assertEqual(len(deleted), 1)


if __name__ == '__main__':
    unittest.main()
