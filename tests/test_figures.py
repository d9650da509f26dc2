"""What identifies 'make compare' figures, which ones a posting takes, and the committed ones."""
import json
import os
import subprocess
import unittest

from harness import figures, mail
from tests import TempFiles
from tests.test_bases import read_base

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PATCH = """From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: {author}
Date: Thu, 1 Jan 2026 00:00:00 +0000
Subject: [PATCH] KVM: arm64: {subject}

{body}

Signed-off-by: {author}
---
 arch/arm64/kvm/mmu.c | 1 +
 1 file changed, 1 insertion(+)

diff --git a/arch/arm64/kvm/mmu.c b/arch/arm64/kvm/mmu.c
index 0123456..{index} 100644
--- a/arch/arm64/kvm/mmu.c
+++ b/arch/arm64/kvm/mmu.c
@@ -{line},6 +{line},7 @@ static int stage2_thing(void)
 	int a;
 	int b;
 	int c;
+	{code}
 	int d;
 	int e;
 	int f;
--
2.39.5
"""


def patch(tmp, name, code='int x;', line=100, author='Jane Dev <jane@kernel-dev.org>',
          subject='Do a thing', body='Why.', index='89abcde'):
    path = os.path.join(tmp, name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(PATCH.format(code=code, line=line, author=author, subject=subject, body=body,
                             index=index))
    return path


class SeriesIdTest(TempFiles, unittest.TestCase):
    def test_same_change_same_id(self):
        a = figures.series_id([patch(self.tmp, 'a', 'int x;'), patch(self.tmp, 'b', 'int y;')])
        # another base (hunk at another line, other blob ids), re-signed, reworded: same series
        b = figures.series_id([patch(self.tmp, 'c', 'int x;', line=123, index='7654321',
                                     author='Test Sender <t@example.org>', body='Reworded.'),
                               patch(self.tmp, 'd', 'int y;', line=140, subject='Other words')])
        self.assertEqual(a, b)
        self.assertRegex(a, '^[0-9a-f]{40}$')

    def test_other_change_other_id(self):
        a = figures.series_id([patch(self.tmp, 'a', 'int x;'), patch(self.tmp, 'b', 'int y;')])
        for other in ([patch(self.tmp, 'c', 'int x;'), patch(self.tmp, 'd', 'int z;')],   # code
                      [patch(self.tmp, 'e', 'int y;'), patch(self.tmp, 'f', 'int x;')],   # order
                      [patch(self.tmp, 'g', 'int x;')]):                                  # fewer
            self.assertNotEqual(a, figures.series_id(other))

    def test_no_change_refused(self):
        p = os.path.join(self.tmp, 'empty.patch')
        with open(p, 'w') as f:
            f.write('Subject: nothing\n\nno diff here\n')
        with self.assertRaises(figures.FiguresError):
            figures.series_id([p])
        with self.assertRaises(figures.FiguresError):
            figures.series_id([])


class BaseOrderTest(unittest.TestCase):
    def test_order(self):
        B = figures.Base
        self.assertEqual(B('6.12', '6.12.117', '6.12.117-1~deb12u1').order(
            B('6.12', '6.12.118', '6.12.118-1~deb12u1')), -1)
        self.assertEqual(B('6.1', '6.1.192', '6.1.192-2').order(B('6.1', '6.1.192', '6.1.192-3')), -1)
        self.assertEqual(B('6.1', '6.1.192', '6.1.192-10').order(B('6.1', '6.1.192', '6.1.192-9')), 1)
        self.assertEqual(B('6.1', '6.1.192', '6.1.192-3').order(B('6.1', '6.1.192', '6.1.192-3')), 0)
        self.assertEqual(B('6.1', '6.1.99', '').order(B('6.1', '6.1.100', '')), -1)    # not as text
        self.assertEqual(B('6.1', '6.1.192', '6.1.192-3').order(B('6.1', '6.1.192', '')), 0)
        with self.assertRaises(figures.FiguresError):
            B('6.1', 'unknown').order(B('6.1', '6.1.192'))


class SelectTest(TempFiles, unittest.TestCase):
    SID = 'a' * 40
    POSTING = figures.Base('6.12', '6.12.118', '6.12.118-1~deb12u1')

    def fig(self, name, **meta):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        m = {'series_id': self.SID, 'base_line': '6.12', 'base_version': '6.12.117',
             'base_revision': '6.12.117-1~deb12u1', 'qemu_cpu': 'max', 'kvm_mode': 'vhe'}
        m.update(meta)
        m = {k: v for k, v in m.items() if v is not None}
        with open(os.path.join(d, 'meta.json'), 'w') as f:
            json.dump(m, f)
        return d

    def select(self, *dirs, config='max-vhe'):
        return figures.select(dirs, self.SID, self.POSTING, config)

    def test_newer_debian_revision_of_the_base_takes_older_figures(self):
        """The bases moved (6.12.117 -> .118, 6.1.192-2 -> -3): the series' figures still go."""
        d = self.fig('old')
        self.assertEqual(self.select(d).chosen, [d])
        posting = figures.Base('6.1', '6.1.192', '6.1.192-3')
        d61 = self.fig('old61', base_line='6.1', base_version='6.1.192', base_revision='6.1.192-2')
        self.assertEqual(figures.select([d61], self.SID, posting, 'max-vhe').chosen, [d61])
        meta = json.load(open(os.path.join(d61, 'meta.json')))
        self.assertEqual(figures.measured_on(meta, posting),
                         'Measured on v6.1.192 (Debian 6.1.192-2) with these patches; this posting '
                         'is based on v6.1.192 (Debian 6.1.192-3) (the same patches apply to both).')
        self.assertEqual(figures.measured_on(meta, figures.meta_base(meta)), '')

    def test_refused(self):
        for name, meta, why in (
                ('other', {'series_id': 'b' * 40}, 'another series'),
                ('unnamed', {'series_id': None}, 'no series_id'),
                ('newer', {'base_version': '6.12.119', 'base_revision': '6.12.119-1~deb12u1'}, 'newer than'),
                ('newer-rev', {'base_version': '6.12.118', 'base_revision': '6.12.118-2~deb12u1'}, 'newer than'),
                ('line', {'base_line': '6.1', 'base_version': '6.1.192'}, 'base line'),
                ('garbled', {'base_version': 'unknown'}, 'not of the form')):
            c = self.select(self.fig(name, **meta))
            self.assertEqual(c.chosen, [], name)
            self.assertEqual(len(c.refused), 1, name)
            self.assertIn(why, c.refused[0], name)

    def test_unreadable_meta_stops(self):
        d = os.path.join(self.tmp, 'bad')
        os.makedirs(d)
        self.write('bad/meta.json', '{')
        with self.assertRaises(figures.FiguresError):
            self.select(d)

    def test_one_per_configuration_newest_base_main_first(self):
        old = self.fig('old', base_version='6.12.111', base_revision='6.12.111-1~deb12u1')
        new = self.fig('new')
        n1 = self.fig('n1', qemu_cpu='neoverse-n1')
        same = self.fig('same')          # a tie: the first listed (build/ before measurements/) wins
        c = self.select(n1, old, new, same)
        self.assertEqual(c.chosen, [new, n1])
        self.assertEqual(len(c.refused), 2)
        c = self.select(n1, old, config='neoverse-n1-vhe')
        self.assertEqual(c.chosen, [n1, old])
        self.assertEqual(self.select(self.tmp + '/none').chosen, [])


class FixtureTest(TempFiles, unittest.TestCase):
    def test_fixture_makes_a_cover_letter(self):
        spec = mail.load_cover_table(os.path.join(ROOT, 'send', 'cover-table-mainline'))
        d = os.path.join(self.tmp, 'fx')
        figures.write_fixture(d, {'series_id': 'c' * 40, 'base_line': '6.12',
                                  'base_version': '6.12.117', 'base_revision': '6.12.117-1~deb12u1'}, spec)
        self.assertEqual(figures.check_recorded(d, 'c' * 40, '6.12', named=False), [])
        m = mail.load_measurements(d)
        text = mail.cover_sections(m, spec, mail.load_targets(os.path.join(ROOT, 'send', 'targets')),
                                   'mainline', ROOT,
                                   posting=figures.Base('6.12', '6.12.118', '6.12.118-1~deb12u1'))
        self.assertIn('Measured on v6.12.117 (Debian 6.12.117-1~deb12u1) with these patches; this '
                      'posting is based on v6.12.118 (Debian 6.12.118-1~deb12u1)', ' '.join(text.split()))
        self.assertEqual(text.count('6.12.117-1~deb12u1'), 2)      # never broken at its hyphen
        self.assertTrue(all(len(l) <= 76 for l in text.splitlines()))
        self.assertIn('fixture (not measured)', ' '.join(text.split()))


def _bases():
    return {b: read_base(b) for b in sorted(os.listdir(os.path.join(ROOT, 'bases')))}


def _series(patch_dir):
    with open(os.path.join(patch_dir, 'series'), encoding='utf-8') as f:
        names = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    return [os.path.join(patch_dir, n) for n in names]


class CommittedFiguresTest(unittest.TestCase):
    """measurements/: each directory is complete, of the series in the repository, and each
    base line has figures of its main configuration; no test depends on the base of the day."""

    def test_committed_figures(self):
        bases = _bases()
        ids = {b: figures.series_id(_series(os.path.join(ROOT, c['patches']))) for b, c in bases.items()}
        seen = set()
        for b, c in bases.items():
            mdir = os.path.join(ROOT, c['measurements'])
            for name in sorted(os.listdir(mdir)):
                d = os.path.join(mdir, name)
                with open(os.path.join(d, 'meta.json'), encoding='utf-8') as f:
                    meta = json.load(f)
                if figures.meta_base(meta).line != b:
                    continue
                with self.subTest(figures=name):
                    self.assertEqual(figures.check_recorded(d, ids[b], b), [])
                    seen.add((b, figures.config(meta)))
        for b in bases:
            self.assertIn((b, 'max-vhe'), seen, f'no committed figures of BASE={b} under -cpu max, VHE')


if __name__ == '__main__':
    unittest.main()
