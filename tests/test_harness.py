"""Unit tests of the harness's own pieces; no QEMU, no kernel build."""
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

from harness import compare, console, metrics, plan, results, treeversion

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLAN_TEXT = textwrap.dedent("""\
    # comment
    60  a/one   prog_a -x 1

    \t# indented comment
    5\tb:two\t./sub/prog_b\t-y
      7   c+d=e  aarch64/prog_c    a  b   c
    """)

BAD_PLANS = {
    'zero timeout': '0 a prog\n',
    'word timeout': 'ten a prog\n',
    'hex timeout': '0x10 a prog\n',
    'too large timeout': '86401 a prog\n',
    'missing command': '10 a\n',
    'missing name': '10\n',
    'bad name': '10 a$b prog\n',
    'duplicate': '10 a prog\n10 a prog2\n',
    'too many args': '10 a prog ' + ' '.join(['x'] * 64) + '\n',
}


class PlanTest(unittest.TestCase):
    def test_parse(self):
        e = plan.parse_plan(PLAN_TEXT)
        self.assertEqual([(x.lineno, x.timeout, x.name, x.argv) for x in e], [
            (2, 60, 'a/one', ['prog_a', '-x', '1']),
            (5, 5, 'b:two', ['./sub/prog_b', '-y']),
            (6, 7, 'c+d=e', ['aarch64/prog_c', 'a', 'b', 'c']),
        ])
        self.assertEqual(plan.global_timeout(e, boot_margin=100), 172)

    def test_errors_name_the_line(self):
        for what, text in BAD_PLANS.items():
            with self.subTest(what):
                with self.assertRaises(plan.PlanError) as cm:
                    plan.parse_plan('# ok\n' + text, 'p')
                self.assertTrue(cm.exception.errors[0].startswith('2: ') or
                                cm.exception.errors[0].startswith('3: '), cm.exception.errors)

    def test_project_plan_is_valid(self):
        entries = plan.load_plan(os.path.join(ROOT, 'plan', 'kvm.plan'))
        bench = plan.load_plan(os.path.join(ROOT, 'plan', 'bench.plan'))
        known = plan.load_known_failures(os.path.join(ROOT, 'plan', 'known-failures'))
        with open(os.path.join(ROOT, 'plan', 'kunit-suites')) as f:
            suites = {l.split('#')[0].strip() for l in f} - {''}
        self.assertGreater(len(entries), 0)
        self.assertTrue(set(known) <= {e.name for e in entries + bench} | suites,
                        'known failure neither in the plans nor a KUnit suite')

    def test_known_failures_qualified_by_cpu_and_mode(self):
        text = ('a  fails everywhere\n'
                'b cpu=neoverse-n1  skips without AArch32 EL1\n'
                'c mode=nvhe cpu=max  only there\n'
                'a cpu=neoverse-n1  fails differently there\n')
        self.assertEqual(plan.parse_known_failures(text, where={'cpu': 'max', 'mode': 'vhe'}),
                         {'a': 'fails everywhere'})
        self.assertEqual(plan.parse_known_failures(text, where={'cpu': 'neoverse-n1', 'mode': 'vhe'}),
                         {'a': 'fails differently there', 'b': 'skips without AArch32 EL1'})
        self.assertEqual(plan.parse_known_failures(text, where={'cpu': 'max', 'mode': 'nvhe'}),
                         {'a': 'fails everywhere', 'c': 'only there'})
        self.assertEqual(set(plan.parse_known_failures(text)), {'a', 'b', 'c'})
        for bad in ('a cpu=max\n', 'a arch=x86 why\n'):
            with self.assertRaises(plan.PlanError, msg=bad):
                plan.parse_known_failures(bad)

    def test_known_failures_need_a_reason(self):
        self.assertEqual(plan.parse_known_failures('# c\na  why it fails\n'), {'a': 'why it fails'})
        with self.assertRaises(plan.PlanError):
            plan.parse_known_failures('a\n')


@unittest.skipUnless(shutil.which('cc'), 'needs a host C compiler')
class InitParserAgreesTest(unittest.TestCase):
    """init/init.c parses the plan in the VM; it must read it exactly as harness/plan.py does."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.init = os.path.join(cls.tmp, 'init')
        subprocess.run(['cc', '-O2', '-Wall', '-Wextra', '-Werror', '-o', cls.init,
                        os.path.join(ROOT, 'init', 'init.c')], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def dump(self, text):
        path = os.path.join(self.tmp, 'plan')
        with open(path, 'w') as f:
            f.write(text)
        p = subprocess.run([self.init, '--dump-plan', path], capture_output=True, text=True)
        return p.returncode, p.stdout

    def test_same_entries(self):
        with open(os.path.join(ROOT, 'plan', 'kvm.plan'), encoding='utf-8') as f:
            project = f.read()
        for text in (PLAN_TEXT, project):
            rc, out = self.dump(text)
            self.assertEqual(rc, 0, out)
            want = ''.join(f'{e.lineno}\t{e.timeout}\t{e.name}\t' + '\t'.join(e.argv) + '\n'
                           for e in plan.parse_plan(text))
            self.assertEqual(out, want)

    def test_same_rejections(self):
        for what, text in BAD_PLANS.items():
            with self.subTest(what):
                rc, out = self.dump('# ok\n' + text)
                self.assertEqual(rc, 1, out)
                with self.assertRaises(plan.PlanError) as cm:
                    plan.parse_plan('# ok\n' + text)
                bad_c = sorted(l.split(':')[1] for l in out.splitlines() if ': ' in l and l.count(':') >= 2)
                bad_py = sorted(e.split(':')[0] for e in cm.exception.errors)
                self.assertEqual(bad_c, bad_py)

    def test_refuses_to_run_as_non_init(self):
        p = subprocess.run([self.init], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)


BOOT = """\
[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x000f0510]
[    0.512345] kvm [1]: IPA Size Limit: 44 bits
[    0.523456] kvm [1]: VHE mode initialized successfully
[    0.600000]     KTAP version 1
[    0.600001]     # Subtest: kunit_status
[    0.600002]     ok 1 kunit_status_set_failure_test
[    0.600003] ok 1 kunit_status
# harness: init start
# harness: /dev/kvm present
TAP version 13
1..4
# harness: [1/4] t/pass (timeout 10s)
# Iteration 1 dirty memory time: 0.250000000s
# KVM_CREATE_MAPPINGS: total execution time: 1.500000000s
# Get dirty log over 2 iterations took 0.400000000s. (Avg 0.2s/iteration)
# WARNING: this line is test output, not a kernel report
ok 1 t/pass # time=3.50s
# harness: [2/4] t/fail (timeout 10s)
# ==== Test Assertion Failure ====
# dirty_log_test.c:100: page 5 not dirty
not ok 2 t/fail # exit=254 time=1.00s
# harness: [3/4] t/skip (timeout 10s)
ok 3 t/skip # SKIP exit=4 time=0.10s
# harness: [4/4] t/hang (timeout 10s)
not ok 4 t/hang # TIMEOUT 10s
# harness: init done
"""

ENTRIES = plan.parse_plan('10 t/pass p\n10 t/fail p\n10 t/skip p\n10 t/hang p\n10 t/never p\n')


class ConsoleTest(unittest.TestCase):
    def lines(self, text=BOOT):
        return console.clean(text.splitlines(True))

    def test_kvm_mode(self):
        self.assertEqual(console.kvm_mode(self.lines()), 'vhe')
        self.assertEqual(console.kvm_mode(['kvm [1]: Hyp mode initialized successfully']), 'nvhe')
        self.assertEqual(console.kvm_mode(['kvm [1]: Protected nVHE mode initialized successfully']),
                         'protected')
        self.assertIsNone(console.kvm_mode(['kvm [1]: HYP mode not available']))

    def test_no_false_splat(self):
        self.assertEqual(console.scan_splats(self.lines()), [])

    def test_splats(self):
        reports = {
            'lockdep': '[   12.1] [ BUG: Invalid wait context ]',
            'kasan': '[   3.2] BUG: KASAN: slab-out-of-bounds in stage2_map_walker+0x1c/0x40',
            'warning': '[   4.0] WARNING: CPU: 1 PID: 77 at arch/arm64/kvm/mmu.c:123 foo+0x1/0x2',
            'panic': '[   5.0] Kernel panic - not syncing: Oops: Fatal exception',
            'oops': '[   5.0] Unable to handle kernel NULL pointer dereference at virtual address 0',
            'kmemleak': 'kmemleak-report: unreferenced object 0xffff000012345678 (size 64):',
            'bug': '[   6.0] BUG: sleeping function called from invalid context at mm/slab.h:1',
            'stall': '[  30.0] rcu: INFO: rcu_preempt self-detected stall on CPU',
        }
        for kind, line in reports.items():
            with self.subTest(kind):
                found = console.scan_splats(self.lines(BOOT + line + '\n'))
                self.assertEqual(len(found), 1)
                self.assertEqual(found[0].lineno, len(BOOT.splitlines()) + 1)
                if kind != 'bug':
                    self.assertEqual(found[0].kind, kind)
        # A kernel report interleaved into a relayed test-output line is still found.
        mixed = '# some test output[   7.1] WARNING: CPU: 0 PID: 1 at x.c:1 y\n'
        self.assertEqual(len(console.scan_splats(self.lines(mixed))), 1)

    def test_kunit_lines_stop_at_init(self):
        k = console.kunit_lines(self.lines())
        self.assertTrue(k[-1].endswith('ok 1 kunit_status'))
        self.assertFalse(any('TAP version 13' in l for l in k))

    def test_parse_init(self):
        run = console.parse_init(self.lines())
        self.assertTrue(run.started and run.done)
        self.assertEqual(run.planned, 4)
        st = {n: r.status for n, r in run.results.items()}
        self.assertEqual(st, {'t/pass': 'PASS', 't/fail': 'FAIL', 't/skip': 'SKIP', 't/hang': 'TIMEOUT'})
        self.assertEqual(run.results['t/pass'].seconds, 3.5)
        self.assertIn('dirty_log_test.c:100: page 5 not dirty', run.results['t/fail'].output)
        self.assertNotIn('dirty_log_test.c:100: page 5 not dirty', run.results['t/pass'].output)


class ResultsTest(unittest.TestCase):
    def build(self, text=BOOT, **kw):
        args = dict(expect_mode='vhe', qemu_status='ok')
        args.update(kw)
        known = args.pop('known', {})
        return results.build(console.clean(text.splitlines(True)), ENTRIES, known, **args)

    def status(self, rows, name):
        return next(r.status for r in rows if r.name == name)

    def test_statuses_and_totals(self):
        rows = self.build()
        self.assertEqual(self.status(rows, 't/pass'), 'PASS')
        self.assertEqual(self.status(rows, 't/fail'), 'FAIL')
        self.assertEqual(self.status(rows, 't/hang'), 'TIMEOUT')
        # listed in the plan, never reported: failed, not passed
        self.assertEqual(self.status(rows, 't/never'), 'NOTRUN')
        # a skip nobody accepted is a failure
        self.assertEqual(self.status(rows, 't/skip'), 'FAIL')
        # init planned 4, the plan has 5
        self.assertEqual(self.status(rows, 'init: ran the whole plan and finished'), 'FAIL')
        t = results.totals(rows)
        self.assertEqual(t['skipped'], 0)
        self.assertEqual(t['passed'] + t['failed'], len(rows))
        line = results.closing_line(t)
        self.assertRegex(line, r'^\d+ passed, \d+ failed$')
        self.assertGreater(t['failed'], 0)

    def test_known_failures_and_skips(self):
        rows = self.build(known={'t/fail': 'bad on TCG', 't/skip': 'no 1G pages', 't/pass': 'flaky'})
        self.assertEqual(self.status(rows, 't/fail'), 'XFAIL')
        self.assertEqual(self.status(rows, 't/skip'), 'SKIP')
        self.assertEqual(self.status(rows, 't/pass'), 'XPASS')
        t = results.totals(rows)
        self.assertEqual(t['skipped'], 2)
        self.assertIn(', 2 skipped', results.closing_line(t))

    def test_checks(self):
        rows = self.build(BOOT.replace('VHE mode', 'Hyp mode'), qemu_status='timeout')
        self.assertEqual(self.status(rows, 'boot: KVM initialised in vhe mode'), 'FAIL')
        self.assertEqual(self.status(rows, 'qemu: powered off by itself'), 'FAIL')
        rows = self.build(BOOT + '[ 9.0] BUG: KASAN: use-after-free in x\n')
        self.assertEqual(self.status(rows, 'console: no WARNING/BUG/lockdep/KASAN/kmemleak/panic'), 'FAIL')
        rows = self.build(BOOT.replace('# harness: /dev/kvm present', '# harness: ERROR: /dev/kvm missing: x'))
        self.assertEqual(self.status(rows, 'boot: /dev/kvm present'), 'FAIL')
        rows = self.build('[ 0.1] Kernel panic - not syncing: VFS: Unable to mount root fs\n')
        self.assertEqual(self.status(rows, 'init: ran the whole plan and finished'), 'FAIL')
        self.assertTrue(all(r.status == 'NOTRUN' for r in rows if r.kind == 'test'))

    def test_kunit_suites(self):
        kunit = {'name': 'KUnit Test Group', 'test_cases': [], 'sub_groups': [
            {'name': 'good', 'sub_groups': [], 'test_cases': [{'name': 'a', 'status': 'PASS'}]},
            {'name': 'bad', 'sub_groups': [{'name': 'p', 'sub_groups': [],
                                            'test_cases': [{'name': 'x', 'status': 'FAIL'}]}],
             'test_cases': [{'name': 'b', 'status': 'PASS'}]},
        ]}
        rows = self.build(kunit=kunit, expect_suites=['good', 'bad', 'missing'])
        self.assertEqual(self.status(rows, 'good'), 'PASS')
        self.assertEqual(self.status(rows, 'bad'), 'FAIL')
        self.assertEqual(self.status(rows, 'missing'), 'NOTRUN')
        rows = self.build(kunit=kunit, expect_suites=['missing'], optional_suites=True)
        self.assertEqual(self.status(rows, 'missing'), 'N/A')

    def test_kunit_skipped_params_are_not_passes(self):
        # 6.1 prints the parameters of a case skipped in init as "ok"; kunit.py keeps them PASS.
        kunit = {'name': 'KUnit Test Group', 'test_cases': [], 'sub_groups': [
            {'name': 'pg', 'test_cases': [], 'sub_groups': [
                {'name': 'param_case', 'sub_groups': [], 'test_cases': [
                    {'name': 'a', 'status': 'PASS'}, {'name': 'b', 'status': 'PASS'}]}]},
            {'name': 'ok_suite', 'sub_groups': [], 'test_cases': [{'name': 'c', 'status': 'PASS'}]}]}
        boot = ('[    1.0]     # Subtest: pg\n[    1.0]         ok 1 a\n[    1.0]         ok 2 b\n'
                '[    1.0]     ok 1 param_case # SKIP needs VHE\n[    1.0] ok 1 pg # SKIP \n'
                '[    1.1]     # Subtest: ok_suite\n[    1.1]     ok 1 c\n[    1.1] ok 2 ok_suite\n' + BOOT)
        rows = self.build(boot, kunit=kunit, expect_suites=['pg', 'ok_suite'])
        # A suite that skipped everything tested nothing: a failure unless a reason is listed.
        self.assertEqual(self.status(rows, 'pg'), 'FAIL')
        self.assertEqual(self.status(rows, 'ok_suite'), 'PASS')
        rows = self.build(boot, kunit=kunit, expect_suites=['pg', 'ok_suite'],
                          known={'pg': 'needs VHE'})
        self.assertEqual(self.status(rows, 'pg'), 'SKIP')
        self.assertIn('known skip: needs VHE', [r.detail for r in rows if r.name == 'pg'][0])

    def test_kunit_metrics(self):
        kunit = {'name': 'KUnit Test Group', 'test_cases': [], 'sub_groups': [
            {'name': 's1', 'sub_groups': [], 'test_cases': [{'name': 'a', 'status': 'PASS'}]},
            {'name': 's2', 'sub_groups': [], 'test_cases': [{'name': 'b', 'status': 'PASS'}]}]}
        boot = ('[    1.0]     KTAP version 1\n[    1.0]     # Subtest: s1\n'
                '[    1.1]     # a: METRIC tlbi_ops:2M:range 1\n'
                '[    1.1]         # Subtest: param\n'
                '[    1.2]     # a: METRIC tlbi_ops:8G:by-page 2097152\n'
                '[    1.2]     ok 1 a\n[    1.3]     # Subtest: s2\n'
                '[    1.3]     # b: not a metric 3\n[    1.3]     ok 1 b\n' + BOOT)
        rows = self.build(boot, kunit=kunit, expect_suites=['s1', 's2'])
        s1 = next(r for r in rows if r.name == 's1')
        self.assertEqual(s1.metrics, {'tlbi_ops:2M:range': 1.0, 'tlbi_ops:8G:by-page': 2097152.0})
        self.assertEqual(next(r for r in rows if r.name == 's2').metrics, {})

    def test_json_roundtrip_and_compare(self):
        rows = self.build()
        meta, back = results.from_json(results.to_json(rows, {'label': 'x'}))
        self.assertEqual(meta['label'], 'x')
        self.assertEqual([r.name for r in back], [r.name for r in rows])
        p = next(r for r in back if r.name == 't/pass')
        self.assertEqual(p.metrics['Iteration 1 dirty memory (s)'], 0.25)
        faster = results.from_json(results.to_json(rows, {}))[1]
        next(r for r in faster if r.name == 't/pass').metrics['Iteration 1 dirty memory (s)'] = 0.125
        text = compare.report(back, faster)
        self.assertRegex(text, r'Iteration 1 dirty memory \(s\)\s+base\s+0.25\s+series\s+0.125\s+series/base 0.500')


class MetricsTest(unittest.TestCase):
    def test_extract(self):
        m = metrics.extract([
            'Populate memory time: 1.000000000s',
            'Iteration 1 dirty memory time: 0.500000000s',
            'Iteration 1 dirty memory time: 0.700000000s',
            'KVM_ADJUST_MAPPINGS: total execution time: 2.000000000s',
            'Clear dirty log over 2 iterations took 0.300000000s. (Avg 0.15s/iteration)',
            'METRIC vmid_flushes 12',
            'Testing guest mode: PA-bits:48,  VA-bits:48,  4K pages',
        ])
        self.assertEqual(m, {
            'Populate memory (s)': 1.0,
            'Iteration 1 dirty memory (s)': 0.5,
            'Iteration 1 dirty memory (s) #2': 0.7,
            'KVM_ADJUST_MAPPINGS: total execution (s)': 2.0,
            'Clear dirty log over 2 iterations (s)': 0.3,
            'vmid_flushes': 12.0,
        })


class TreeVersionTest(unittest.TestCase):
    def tree(self, version, patchlevel, sublevel, files=True):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, 'Makefile'), 'w') as f:
            f.write(f'# SPDX\nVERSION = {version}\nPATCHLEVEL = {patchlevel}\nSUBLEVEL = {sublevel}\n'
                    'EXTRAVERSION =\nNAME = x\n')
        if files:
            for p in ('arch/arm64/kvm/hyp/pgtable.c', 'arch/arm64/kvm/mmu.c',
                      'tools/testing/selftests/kvm/Makefile', 'scripts/kconfig/merge_config.sh'):
                os.makedirs(os.path.join(d, os.path.dirname(p)), exist_ok=True)
                open(os.path.join(d, p), 'w').close()
        return d

    def test_accepts_the_wanted_base_only(self):
        self.assertEqual(treeversion.check_tree(self.tree(6, 12, 117), (6, 12)), '6.12.117')
        with self.assertRaisesRegex(treeversion.TreeError,
                                    r'is Linux 6\.1\.192; this series is for 6\.12\.y .*BASE='):
            treeversion.check_tree(self.tree(6, 1, 192), (6, 12))
        with self.assertRaisesRegex(treeversion.TreeError, r'this series is for 6\.1\.y'):
            treeversion.check_tree(self.tree(6, 12, 117))

    def test_accepts_61y(self):
        self.assertEqual(treeversion.check_tree(self.tree(6, 1, 192)), '6.1.192')

    def test_refuses_other_versions(self):
        for v in ((6, 6, 30), (5, 15, 1), (6, 12, 0)):
            with self.subTest(v):
                with self.assertRaisesRegex(treeversion.TreeError, r'is Linux .* this series is for 6\.1\.y'):
                    treeversion.check_tree(self.tree(*v))

    def test_refuses_non_trees(self):
        with self.assertRaisesRegex(treeversion.TreeError, 'not a kernel source tree'):
            treeversion.check_tree(tempfile.gettempdir() + '/does-not-exist')
        with self.assertRaisesRegex(treeversion.TreeError, 'lacks arch/arm64/kvm/hyp/pgtable.c'):
            treeversion.check_tree(self.tree(6, 1, 1, files=False))


class SeriesFileTest(unittest.TestCase):
    """scripts/lib.sh series_patches: patches/series and the patch files must agree."""

    def run_series(self, listed, files):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, 'series'), 'w') as f:
            f.write('# comment\n' + ''.join(x + '\n' for x in listed))
        for name in files:
            open(os.path.join(d, name), 'w').close()
        return subprocess.run(['bash', '-c', f'. {ROOT}/scripts/lib.sh; series_patches'],
                              env=dict(os.environ, PATCHES=d, BUILD=d + '/b'),
                              capture_output=True, text=True)

    def test_agree(self):
        p = self.run_series(['0001-a.patch', '0002-b.patch'],
                            ['0000-cover-letter.patch', '0001-a.patch', '0002-b.patch'])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), ['0001-a.patch', '0002-b.patch'])

    def test_empty_series(self):
        p = self.run_series([], ['0000-cover-letter.patch'])
        self.assertEqual((p.returncode, p.stdout.strip()), (0, ''))

    def test_disagree(self):
        p = self.run_series(['0001-a.patch'], ['0001-a.patch', '0002-b.patch'])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('0002-b.patch is not listed', p.stderr)
        p = self.run_series(['0001-a.patch', '0002-gone.patch'], ['0001-a.patch'])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('lists 0002-gone.patch', p.stderr)


if __name__ == '__main__':
    unittest.main()
