"""Unit tests of 'make send's pieces: identities, targets, recipients, the cover letter's
measured part, the outbox checks (each shown to fail on a wrong mail) and the SMTP stand-in."""
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
import unittest

from harness import mail

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATTERNS = mail.load_patterns(os.path.join(ROOT, 'send', 'placeholder-addresses'))
SENDER = 'Jane Developer <jane@kernel-dev.org>'


def patch_text(author='Jane Developer <jane@kernel-dev.org>', sobs=('Jane Developer <jane@kernel-dev.org>',)):
    return ('From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
            f'From: {author}\n'
            'Date: Sat, 21 Nov 2026 15:47:12 +0000\n'
            'Subject: [PATCH 1/2] KVM: arm64: Do a thing\n\nBecause.\n\n' +
            ''.join(f'Signed-off-by: {s}\n' for s in sobs) +
            '---\n arch/arm64/kvm/mmu.c | 1 +\n')


class IdentityTest(unittest.TestCase):
    def test_placeholders_refused(self):
        for spec in ('Seed maintainers <maintainers@users.noreply.h-seed-11b0d8d3.example>',
                     'A <a@example.com>', 'A <a@sub.example.org>', 'A <a@host.test>',
                     'A <a@localhost>', 'A <a@nodot>', 'A <noreply@company.com>',
                     'base <base@localhost>', 'A <a@x.invalid>'):
            with self.assertRaises(mail.MailError, msg=spec):
                mail.check_sender(spec, PATTERNS)

    def test_missing_parts_refused(self):
        for spec in ('', ' <>', 'jane@kernel-dev.org', '<jane@kernel-dev.org>', 'Jane'):
            with self.assertRaises(mail.MailError, msg=spec):
                mail.check_sender(spec, PATTERNS)

    def test_real_sender(self):
        self.assertEqual(mail.check_sender(SENDER, PATTERNS), ('Jane Developer', 'jane@kernel-dev.org'))

    def _check(self, text):
        with tempfile.NamedTemporaryFile('w', suffix='.patch', delete=False) as f:
            f.write(text)
        try:
            return mail.check_patches([f.name], mail.parse_identity(SENDER), PATTERNS)
        finally:
            os.unlink(f.name)

    def test_patches_of_the_sender_pass(self):
        self.assertEqual(self._check(patch_text()), [])
        # someone else's sign-off before the sender's is fine (a co-developer, a forwarded patch)
        self.assertEqual(self._check(patch_text(sobs=('Ann Other <ann@corp.com>', SENDER))), [])

    def test_patches_of_others_refused(self):
        placeholder = 'Seed 11b0d8d3 maintainers <maintainers@users.noreply.h-seed-11b0d8d3.example>'
        p = self._check(patch_text(author=placeholder, sobs=(placeholder,)))
        self.assertTrue(any('author' in x for x in p), p)
        self.assertTrue(any('last Signed-off-by' in x for x in p), p)
        self.assertTrue(any('placeholder identity' in x for x in p), p)
        self.assertTrue(any('no Signed-off-by' in x for x in self._check(patch_text(sobs=()))))
        p = self._check(patch_text(sobs=(SENDER, placeholder)))
        self.assertTrue(any('placeholder' in x for x in p), p)

    def test_drop_placeholder_signoffs(self):
        msg = ('Subject\n\nBody.\n\nReported-by: A <a@corp.com>\n'
               'Signed-off-by: Seed <maintainers@users.noreply.h-seed.example>\n'
               'Signed-off-by: Ann Other <ann@corp.com>\n')
        out = mail.drop_placeholder_signoffs(msg, PATTERNS)
        self.assertNotIn('h-seed', out)
        self.assertIn('Signed-off-by: Ann Other <ann@corp.com>', out)
        self.assertIn('Reported-by: A <a@corp.com>', out)


class TargetsTest(unittest.TestCase):
    def test_project_targets(self):
        t = mail.load_targets(os.path.join(ROOT, 'send', 'targets'))
        self.assertEqual(t['stable'].to, ['stable@vger.kernel.org'])
        self.assertEqual(t['carry'].to, [])
        # upstream takes no 6.1 carry: it goes to whoever asked (TO=), maintainers only if asked
        self.assertEqual(t['carry'].maintainers, 'asked')
        self.assertEqual(t['stable'].maintainers, 'cc')
        self.assertEqual(t['mainline'].maintainers, 'to')

    def test_bad_targets(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, 'targets')
        for line, msg in (('a | p | all | PATCH | | to', 'expected 7 fields'),
                          ('a | p | all | PATCH | | often | what', "maintainers 'often'"),
                          ('a | p | all | PATCH | | | what', 'expected 7 fields')):
            with open(path, 'w') as f:
                f.write(line + '\n')
            with self.assertRaisesRegex(mail.MailError, msg):
                mail.load_targets(path)

    def test_select(self):
        s = ['a', 'b', 'c']
        self.assertEqual(mail.select_patches('all', s), s)
        self.assertEqual(mail.select_patches('1', s), ['a'])
        self.assertEqual(mail.select_patches('1-2', s), ['a', 'b'])
        with self.assertRaises(mail.MailError):
            mail.select_patches('4', s)

    def test_split_recipients(self):
        lines = ['Marc Zyngier <maz@kernel.org> (maintainer:KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64))',
                 'Joey Gouly <joey.gouly@arm.com> (reviewer:KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64))',
                 'Paolo Bonzini <pbonzini@redhat.com> (supporter:KERNEL VIRTUAL MACHINE (KVM))',
                 'kvmarm@lists.linux.dev (open list:KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64))',
                 'linux-kernel@vger.kernel.org (open list)', '']
        to, cc = mail.split_recipients(lines, 'to')
        self.assertEqual(to, ['Marc Zyngier <maz@kernel.org>'])
        self.assertEqual(cc, ['Joey Gouly <joey.gouly@arm.com>', 'Paolo Bonzini <pbonzini@redhat.com>',
                              'kvmarm@lists.linux.dev', 'linux-kernel@vger.kernel.org'])
        for mode in ('cc', 'asked'):
            to, cc = mail.split_recipients(lines, mode)
            self.assertEqual(to, [])
            self.assertEqual(len(cc), 5)


class AddressTest(unittest.TestCase):
    def test_headers_after_subject_each_address_once(self):
        d = tempfile.mkdtemp()
        mailf, rcpt = os.path.join(d, 'm.patch'), os.path.join(d, 'm.rcpt')
        with open(mailf, 'w') as f:
            f.write('From: Jane <jane@kernel-dev.org>\nSubject: [PATCH] a long\n subject\n'
                    'Date: x\n\nBody.\n')
        with open(rcpt, 'w') as f:
            f.write('to\tMarc Zyngier <maz@kernel.org>\ncc\tkvmarm@lists.linux.dev\n'
                    'cc\tMarc Zyngier <MAZ@kernel.org>\n')
        mail.address(mailf, rcpt, 'stable@vger.kernel.org', 'extra@corp.com,kvmarm@lists.linux.dev')
        with open(mailf) as f:
            self.assertEqual(f.read(), 'From: Jane <jane@kernel-dev.org>\nSubject: [PATCH] a long\n'
                             ' subject\nTo: stable@vger.kernel.org\nTo: Marc Zyngier <maz@kernel.org>\n'
                             'Cc: extra@corp.com\nCc: kvmarm@lists.linux.dev\nDate: x\n\nBody.\n')


def measurements(tmp, series_fail=False, drop=None, cpu='max', tree='abc'):
    spec = mail.load_cover_table(os.path.join(ROOT, 'send', 'cover-table'))
    for label in ('base', 'series'):
        rows = {}
        for text, test, bm, sm in spec:
            if not test:
                continue
            r = rows.setdefault(test, {'kind': 'test', 'name': test, 'status': 'PASS',
                                       'detail': '', 'seconds': 1.0, 'metrics': {}})
            metric = bm if label == 'base' else sm
            if label == 'series' and metric == drop:
                continue
            r['metrics'][metric] = 1073750016.0 if label == 'base' else 2.0
        if series_fail and label == 'series':
            rows['bench/unmap-1g-4k']['status'] = 'FAIL'
        with open(os.path.join(tmp, f'{label}.json'), 'w') as f:
            json.dump({'meta': {'label': label}, 'totals': {'passed': 3, 'failed': 0, 'skipped': 0},
                       'rows': list(rows.values())}, f)
    with open(os.path.join(tmp, 'meta.json'), 'w') as f:
        json.dump({'series_id': tree, 'base_line': '6.1', 'base_version': '6.1.192', 'base_revision': '6.1.192-2', 'qemu': 'QEMU emulator version 7.2.22',
                   'qemu_cpu': cpu, 'qemu_smp': '2', 'qemu_mem': '6G', 'kvm_mode': 'vhe',
                   'date': '2026-11-23'}, f)
    return mail.load_measurements(tmp)


class CoverTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.spec = mail.load_cover_table(os.path.join(ROOT, 'send', 'cover-table'))
        self.targets = mail.load_targets(os.path.join(ROOT, 'send', 'targets'))

    def test_sections(self):
        text = mail.cover_sections(measurements(self.tmp), self.spec, self.targets, 'carry', ROOT)
        self.assertIn('Where these patches go:', text)
        self.assertIn('Measurements:', text)
        self.assertIn('7.2.22 TCG', text)
        self.assertIn('Tested under emulation only', text)
        self.assertIn('1,073,750,016', text)
        self.assertTrue(all(len(l) <= 76 for l in text.splitlines()),
                        [l for l in text.splitlines() if len(l) > 76])

    def test_missing_figure_and_failed_run_refused(self):
        with self.assertRaises(mail.MailError):
            mail.cover_sections(measurements(self.tmp, drop='calls:kvm_icache_inval_all'),
                                self.spec, self.targets, 'carry', ROOT)
        with self.assertRaises(mail.MailError):
            mail.cover_sections(measurements(self.tmp, series_fail=True), self.spec, self.targets,
                                'carry', ROOT)

    def test_other_configuration(self):
        other = tempfile.mkdtemp()
        text = mail.cover_sections(measurements(self.tmp), self.spec, self.targets, 'carry', ROOT,
                                   [measurements(other, cpu='neoverse-n1')])
        self.assertIn('The same under -cpu neoverse-n1, vhe', text)
        alone = mail.cover_sections(measurements(self.tmp), self.spec, self.targets, 'carry', ROOT)
        self.assertEqual(text.count('1,073,750,016'), 2 * alone.count('1,073,750,016'))
        self.assertTrue(all(len(l) <= 76 for l in text.splitlines()),
                        [l for l in text.splitlines() if len(l) > 76])
        with self.assertRaises(mail.MailError):      # figures of another series
            mail.cover_sections(measurements(self.tmp), self.spec, self.targets, 'carry', ROOT,
                                [measurements(other, cpu='neoverse-n1', tree='def')])
        with self.assertRaises(mail.MailError):      # a failed run in the other configuration
            mail.cover_sections(measurements(self.tmp), self.spec, self.targets, 'carry', ROOT,
                                [measurements(other, cpu='neoverse-n1', series_fail=True)])

    def test_bad_table(self):
        with tempfile.NamedTemporaryFile('w', delete=False) as f:
            f.write('text | test\n')
        with self.assertRaises(mail.MailError):
            mail.load_cover_table(f.name)
        os.unlink(f.name)


def write_outbox(d, mails, sender='jane@kernel-dev.org'):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'envelope.tsv'), 'w') as env:
        for i, (headers, body) in enumerate(mails, 1):
            name = f'{i:04d}.eml'
            with open(os.path.join(d, name), 'w') as f:
                f.write(''.join(f'{k}: {v}\n' for k, v in headers.items()) + '\n' + body)
            rcpts = [a for _, a in mail.email.utils.getaddresses(
                [headers.get('To', ''), headers.get('Cc', '')]) if a]
            env.write(f"{name}\t{sender}\t{', '.join(rcpts)}\n")


def good_series(n=2):
    cover = {'From': SENDER, 'To': 'Marc Zyngier <maz@kernel.org>', 'Cc': 'kvmarm@lists.linux.dev',
             'Subject': f'[PATCH 6.1 carry 0/{n}] KVM: arm64: things', 'Message-Id': '<cover.1@kernel-dev.org>'}
    mails = [(cover, 'Blurb.\n\nWhere these patches go:\n\nMeasurements:\n')]
    for i in range(1, n + 1):
        h = dict(cover, Subject=f'[PATCH 6.1 carry {i}/{n}] KVM: arm64: thing {i}',
                 **{'Message-Id': f'<p{i}@kernel-dev.org>', 'In-Reply-To': '<cover.1@kernel-dev.org>',
                    'References': '<cover.1@kernel-dev.org>'})
        mails.append((h, f'Thing {i}.\n\nSigned-off-by: {SENDER}\n---\n diff\n'))
    return mails


class OutboxTest(unittest.TestCase):
    """The outbox check passes a right set of mails and fails each kind of wrong one."""
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.x = mail.Expect('jane@kernel-dev.org', 2, 'PATCH 6.1 carry', True,
                             ['kvmarm@lists.linux.dev'], ['stable@vger.kernel.org'])

    def problems(self, mails, **kw):
        d = tempfile.mkdtemp(dir=self.tmp)
        write_outbox(d, mails, **kw)
        return mail.check_outbox(d, self.x, PATTERNS)

    def test_good(self):
        self.assertEqual(self.problems(good_series()), [])

    def test_each_mistake_is_caught(self):
        def mutate(fn):
            m = good_series()
            fn(m)
            return m
        cases = {
            'count': lambda m: m.pop(),
            'threading': lambda m: m[2][0].__setitem__('In-Reply-To', '<p1@kernel-dev.org>'),
            'references': lambda m: m[1][0].__setitem__('References', '<x@y.org>'),
            'template': lambda m: m.__setitem__(0, (m[0][0], '*** BLURB HERE ***\nWhere these patches go:\nMeasurements:\n')),
            'no measurements': lambda m: m.__setitem__(0, (m[0][0], 'Blurb only.\n')),
            'placeholder cc': lambda m: m[1][0].__setitem__('Cc', 'kvmarm@lists.linux.dev, a@foo.example'),
            'placeholder sob': lambda m: m.__setitem__(1, (m[1][0], 'X.\n\nSigned-off-by: S <s@users.noreply.x.example>\n')),
            'placeholder message-id': lambda m: m[1][0].__setitem__('Message-Id', '<p@h-seed.example>'),
            'dead list': lambda m: m[1][0].__setitem__('Cc', 'kvmarm@lists.linux.dev, kvmarm@lists.cs.columbia.edu'),
            'stable': lambda m: m[1][0].__setitem__('Cc', 'kvmarm@lists.linux.dev, stable@vger.kernel.org'),
            'required list': lambda m: m[2][0].__setitem__('Cc', 'kvm@vger.kernel.org'),
            'from': lambda m: m[1][0].__setitem__('From', 'Ann <ann@corp.com>'),
            'subject': lambda m: m[1][0].__setitem__('Subject', '[PATCH 1/2] thing'),
            'no to': lambda m: m[1][0].__delitem__('To'),
        }
        for what, fn in cases.items():
            self.assertNotEqual(self.problems(mutate(fn)), [], what)
        self.assertNotEqual(self.problems(good_series(), sender='other@corp.com'), [], 'envelope sender')

    def test_only_the_recipients_asked_for(self):
        # the carry without CC_MAINTAINERS=1: To: whoever asked, nobody else
        self.x.required = ['Distro Kernel <kernel@distro.org>']
        self.x.only = ['Distro Kernel <kernel@distro.org>']

        def to_distro(m):
            for h, _ in m:
                h['To'] = 'Distro Kernel <kernel@distro.org>'
                h.pop('Cc', None)
            return m
        self.assertEqual(self.problems(to_distro(good_series())), [])
        m = to_distro(good_series())
        m[2][0]['Cc'] = 'Ryan Roberts <ryan.roberts@arm.com>'     # a trailer's person copied
        self.assertEqual(len(self.problems(m)), 1)
        self.assertIn('recipients beyond those asked for: <ryan.roberts@arm.com>', self.problems(m)[0])
        m = to_distro(good_series())
        m[1][0]['To'] = 'Marc Zyngier <maz@kernel.org>'           # the asker missing, another To:
        self.assertEqual(len(self.problems(m)), 2)

    def test_single_patch(self):
        x = mail.Expect('jane@kernel-dev.org', 1, 'PATCH 6.1.y', False, ['stable@vger.kernel.org'], [])
        h = {'From': SENDER, 'To': 'stable@vger.kernel.org', 'Cc': 'kvmarm@lists.linux.dev',
             'Subject': '[PATCH 6.1.y] KVM: selftests: fix', 'Message-Id': '<p@kernel-dev.org>'}
        d = os.path.join(self.tmp, 'one')
        write_outbox(d, [(h, 'Fix.\n\nSigned-off-by: ' + SENDER + '\n')])
        self.assertEqual(mail.check_outbox(d, x, PATTERNS), [])
        x.required = ['stable@vger.kernel.org', 'kvm@vger.kernel.org']
        self.assertNotEqual(mail.check_outbox(d, x, PATTERNS), [])


class SmtpStandInTest(unittest.TestCase):
    def test_stores_message_and_envelope(self):
        tmp = tempfile.mkdtemp()
        outbox, portfile = os.path.join(tmp, 'outbox'), os.path.join(tmp, 'port')
        p = subprocess.Popen([sys.executable, os.path.join(ROOT, 'scripts', 'smtp-outbox.py'), outbox, portfile])
        try:
            for _ in range(100):
                if os.path.exists(portfile):
                    break
                time.sleep(0.05)
            with open(portfile) as f:
                port = int(f.read())
            msg = 'From: a@corp.com\r\nSubject: x\r\n\r\nline\r\n.leading dot\r\n'
            with smtplib.SMTP('127.0.0.1', port) as s:
                refused = s.sendmail('a@corp.com', ['b@corp.com', 'c@corp.com'], msg)
            self.assertEqual(refused, {})
            with open(os.path.join(outbox, '0001.eml'), newline='') as f:
                self.assertEqual(f.read(), msg)
            with open(os.path.join(outbox, 'envelope.tsv')) as f:
                self.assertEqual(f.read(), '0001.eml\ta@corp.com\tb@corp.com, c@corp.com\n')
        finally:
            p.terminate()
            p.wait(timeout=10)


if __name__ == '__main__':
    unittest.main()
