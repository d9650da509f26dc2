"""bases/*: every base names what the harness reads for it, and those files exist."""
import os
import unittest

from harness import mutants, plan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = {'version', 'package', 'patches', 'plan', 'bench', 'known', 'suites', 'base_tests',
        'measurements', 'build', 'check_matrix', 'mutants', 'cover_table', 'userspace'}


def read_base(name):
    conf = {}
    with open(os.path.join(ROOT, 'bases', name), encoding='utf-8') as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                key, _, value = line.strip().partition(' ')
                conf[key] = value.strip()
    return conf


class BasesTest(unittest.TestCase):
    def test_every_base_is_complete(self):
        names = sorted(os.listdir(os.path.join(ROOT, 'bases')))
        self.assertIn('6.1', names)
        self.assertIn('6.12', names)
        for name in names:
            with self.subTest(base=name):
                conf = read_base(name)
                self.assertEqual(set(conf), KEYS)
                self.assertEqual(conf['version'], name)
                for key in ('plan', 'bench', 'known', 'suites', 'base_tests'):
                    self.assertTrue(os.path.isfile(os.path.join(ROOT, conf[key])), conf[key])
                self.assertTrue(os.path.isfile(os.path.join(ROOT, conf['patches'], 'series')))
                self.assertTrue(os.path.isfile(os.path.join(ROOT, 'configs', 'series-suites',
                                                            name + '.config')))
                # the plan parses and its known failures name its tests or suites
                with open(os.path.join(ROOT, conf['suites']), encoding='utf-8') as f:
                    suites = [l.strip() for l in f if l.strip() and not l.startswith('#')]
                names_in_plan = {e.name for e in plan.load_plan(os.path.join(ROOT, conf['plan']))}
                names_in_plan |= {e.name for e in plan.load_plan(os.path.join(ROOT, conf['bench']))}
                names_in_plan |= set(suites)
                known = plan.load_known_failures(os.path.join(ROOT, conf['known']))
                self.assertEqual(set(known) - names_in_plan, set())
                # the base-test patches are patches of the series
                with open(os.path.join(ROOT, conf['patches'], 'series'), encoding='utf-8') as f:
                    series = {l.strip() for l in f if l.strip() and not l.startswith('#')}
                with open(os.path.join(ROOT, conf['base_tests']), encoding='utf-8') as f:
                    wanted = {l.split('#')[0].strip() for l in f} - {''}
                self.assertEqual(wanted - series, set())
                # the mutant catalogue names patches of this series and tests of these plans
                ms = mutants.load_dir(os.path.join(ROOT, conf['mutants']))
                self.assertGreater(len(ms), 0)
                self.assertEqual(mutants.check(ms, sorted(series), [os.path.join(ROOT, conf['plan']),
                                                                    os.path.join(ROOT, conf['bench'])],
                                               suites), [])


if __name__ == '__main__':
    unittest.main()
