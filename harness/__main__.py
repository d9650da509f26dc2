"""python3 -m harness <command> ...  (run from the repository root)"""
import argparse
import json
import os
import shlex
import sys

from . import (compare, console, elfclosure, figures, mail, mutants, plan, results, treeversion,
               userspace)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read_lines(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return console.clean(f)


def cmd_check_plan(a):
    entries = plan.load_plan(a.plan)
    known = plan.load_known_failures(a.known) if a.known else {}
    names = {e.name for e in entries} | set(_suites(a.suites) if a.suites else [])
    for other in a.also:
        names |= {e.name for e in plan.load_plan(other)}
    stray = sorted(set(known) - names)
    if stray:
        print(f'{a.known}: names in none of {", ".join([a.plan] + a.also + ([a.suites] if a.suites else []))}: '
              f'{", ".join(stray)}', file=sys.stderr)
        return 1
    print(f'{a.plan}: {len(entries)} tests, {len(known)} known failures, '
          f'global timeout {plan.global_timeout(entries)}s')
    return 0


def cmd_elf_closure(a):
    try:
        files = elfclosure.closure(a.root, a.programs, a.readelf)
    except elfclosure.ClosureError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    for line in elfclosure.cpio_lines(files):
        print(line)
    return 0


def cmd_timeout(a):
    print(plan.global_timeout(plan.load_plan(a.plan), a.margin))
    return 0


def cmd_tree_version(a):
    print(treeversion.check_tree(a.dir, tuple(int(x) for x in a.want.split('.'))))
    return 0


def cmd_kunit_log(a):
    with open(a.out, 'w', encoding='utf-8') as f:
        for line in console.kunit_lines(_read_lines(a.console)):
            f.write(line + '\n')
    return 0


def cmd_report(a):
    lines = _read_lines(a.console)
    entries = plan.load_plan(a.plan)
    where = {'cpu': a.cpu, 'mode': a.expect_mode, 'page': a.page_size}
    known = plan.load_known_failures(a.known, where) if a.known else {}
    kunit = None
    if a.kunit_json and os.path.exists(a.kunit_json):
        with open(a.kunit_json, encoding='utf-8') as f:
            kunit = json.load(f)
    suites = []
    if a.suites:
        suites = [l.split('#')[0].strip() for l in open(a.suites, encoding='utf-8')]
        suites = [s for s in suites if s]
    rows = results.build(lines, entries, known, expect_mode=a.expect_mode, kunit=kunit,
                         kunit_error=a.kunit_error or '', expect_suites=suites,
                         optional_suites=a.optional_suites, qemu_status=a.qemu_status)
    t = results.totals(rows)
    meta = {'label': a.label, 'console': os.path.abspath(a.console), 'kvm_mode': console.kvm_mode(lines),
            'cpu': a.cpu, 'page_size': a.page_size}
    with open(a.out, 'w', encoding='utf-8') as f:
        f.write(results.to_json(rows, meta) + '\n')
    print(f'== {a.label}: results (console log: {a.console}, results: {a.out})')
    print(results.table(rows))
    bad = [r for r in rows if r.status not in results.PASSING | results.SKIPPED]
    for r in bad:
        print(f'FAILED: {r.name}: {r.status} {r.detail}  (see {a.console})')
    print(results.closing_line(t))
    return 1 if t['failed'] else 0


def cmd_compare(a):
    _, base = results.from_json(open(a.base, encoding='utf-8').read())
    _, series = results.from_json(open(a.series, encoding='utf-8').read())
    print(compare.report(base, series))
    return 0


def _patterns(a):
    return mail.load_patterns(a.placeholders)


def cmd_mail_sender(a):
    name, addr = mail.check_sender(a.spec, _patterns(a))
    print(f'{name} <{addr}>')
    return 0


def cmd_mail_patches(a):
    sender = mail.parse_identity(a.sender)
    problems = mail.check_patches(a.patches, sender, _patterns(a))
    for p in problems:
        print(p)
    return 1 if problems else 0


def cmd_mail_drop_signoffs(a):
    sys.stdout.write(mail.drop_placeholder_signoffs(sys.stdin.read(), _patterns(a)))
    return 0


def cmd_mail_target(a):
    """Shell assignments for one target: its patch directory, the patches to send (those
    of its series file that the target selects), subject prefix, own To: and what it does with the maintainers."""
    targets = mail.load_targets(a.targets)
    if a.target not in targets:
        raise mail.MailError(f"TARGET={a.target} is not one of: {', '.join(targets)} ({a.targets})")
    t = targets[a.target]
    print(f't_dir={shlex.quote(t.patch_dir)}')
    print(f't_spec={shlex.quote(t.patches)}')
    print(f't_prefix={shlex.quote(t.prefix)}')
    print(f"t_to={shlex.quote(','.join(t.to))}")
    print(f't_maintainers={shlex.quote(t.maintainers)}')
    print(f't_what={shlex.quote(t.what)}')
    return 0


def cmd_mail_select(a):
    series = [l.strip() for l in sys.stdin if l.strip()]
    chosen = mail.select_patches(a.spec, series)
    if chosen != series[:len(chosen)]:
        raise mail.MailError(f'patches {a.spec}: only a leading part of the series can be sent '
                             'on its own (what is sent must apply to the base)')
    print(len(chosen))
    return 0


def cmd_mail_recipients(a):
    to, cc = mail.split_recipients(sys.stdin.read().splitlines(), a.mode)
    pats = _patterns(a)
    for kind, addrs in (('to', to), ('cc', cc)):
        for who in addrs:
            if not mail.is_placeholder(mail.parse_identity(who)[1], pats):
                print(f'{kind}\t{who}')
    return 0


def cmd_mail_address(a):
    mail.address(a.mail, a.rcpt, a.to or '', a.cc or '')
    return 0


def _posting(a):
    return figures.Base(a.base_line, a.base_version, a.base_revision or '')


def cmd_mail_cover(a):
    m = mail.load_measurements(a.measurements)
    spec = mail.load_cover_table(a.table)
    also = [mail.load_measurements(d) for d in a.also]
    posting = _posting(a) if a.base_version else None
    print(mail.cover_sections(m, spec, mail.load_targets(a.targets), a.target, ROOT, also,
                              posting=posting), end='')
    return 0


def cmd_series_id(a):
    print(figures.series_id(a.patches))
    return 0


def cmd_figures_select(a):
    c = figures.select(a.dirs, a.series_id, _posting(a), a.config)
    for r in c.refused:
        print(f'figures: not used: {r}', file=sys.stderr)
    if not c.chosen:
        return 1
    print('\n'.join(c.chosen))
    return 0


def cmd_figures_check(a):
    problems = figures.check_recorded(a.dir, a.series_id, a.base_line, named=not a.any_name)
    for p in problems:
        print(f'error: {p}', file=sys.stderr)
    return 1 if problems else 0


def cmd_figures_fixture(a):
    meta = dict(kv.split('=', 1) for kv in a.meta)
    figures.write_fixture(a.out, meta, mail.load_cover_table(a.table))
    return 0


def cmd_mail_outbox(a):
    for line in mail.envelope_lines(a.outbox):
        print(line)
    only = None if a.only is None else [x for x in a.only.split(',') if x.strip()]
    x = mail.Expect(a.sender, a.patches, a.prefix, a.cover, a.require or [], a.forbid or [], only)
    problems = mail.check_outbox(a.outbox, x, _patterns(a))
    for p in problems:
        print(f'OUTBOX: {p}')
    return 1 if problems else 0


def _suites(path):
    with open(path, encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith('#')]


def cmd_plan_select(a):
    names = _suites(a.names)
    overrides = [o for o in a.override if os.path.exists(o)]
    text = plan.select(names, a.plans, overrides)
    plan.parse_plan(text, a.out)
    with open(a.out, 'w', encoding='utf-8') as f:
        f.write(text)
    print(f'{a.out}: {len(names)} tests' + (f' ({", ".join(overrides)} replacing lines)' if overrides else ''))
    return 0


def cmd_matrix_table(a):
    from . import matrix
    counts = matrix.load_counts(a.counts)
    cells = []
    for spec in a.cells:
        name, _, path = spec.partition('=')
        cells.append(matrix.cell(name, path, counts))
    print(matrix.table(cells, counts))
    return 0 if all(c['ok'] for c in cells) else 1


def cmd_mutant_check(a):
    ms = mutants.load_dir(a.dir)
    with open(a.series, encoding='utf-8') as f:
        series = [l.strip() for l in f if l.strip() and not l.lstrip().startswith('#')]
    problems = mutants.check(ms, series, a.plans, _suites(a.suites))
    for p in problems:
        print(p, file=sys.stderr)
    unobs = sum(1 for m in ms if m.unobservable)
    print(f'{a.dir}: {len(ms)} mutants ({unobs} not observable here), '
          f'{len(problems)} problems')
    return 1 if problems else 0


def cmd_mutant_list(a):
    """One line per mutant matching the pattern: name<TAB>selftests|kernel<TAB>unobservable
    reason (in a run of the configuration a.config: VAR=value ...)"""
    import fnmatch
    config = dict(c.partition('=')[::2] for c in a.config)
    for m in mutants.load_dir(a.dir):
        if not any(fnmatch.fnmatch(m.name, f'*{pat}*') for pat in a.pattern.split(',')):
            continue
        print(f"{m.name}\t{'selftests' if m.touches_selftests else 'kernel'}\t"
              f"{mutants.unobservable_in(m, config) or ''}")
    return 0


def cmd_automut(a):
    """Write the mechanical mutants of the series in a.tree (HEAD; one commit per patch of
    a.series after a.base) into a.out, one patch each, plus index.tsv; print how many."""
    from . import automut
    series = _suites(a.series)      # (the same file format: one name a line, # comments)
    commits = automut._git(a.tree, 'rev-list', '--reverse', f'{a.base}..HEAD').split()
    if len(commits) != len(series):
        raise SystemExit(f'{a.tree}: {len(commits)} commits after the base, but {a.series} '
                         f'lists {len(series)} patches: not the series tree')
    patch_of = dict(zip(commits, series))
    killers = a.killers.split() if a.killers else \
        [f'kunit:{s}' for s in _suites(a.suites)]
    ms = automut.sample(automut.generate(a.tree, a.base, a.files), a.per_file, a.seed)
    os.makedirs(a.out, exist_ok=True)
    texts = {}
    rows = []
    for i, m in enumerate(ms, 1):
        if m.path not in texts:
            with open(os.path.join(a.tree, m.path), encoding='utf-8') as f:
                texts[m.path] = f.read().split('\n')
        stem = os.path.basename(m.path).replace('.', '-')
        name = f'auto-{i:04d}-{stem}-{m.line}-{m.op}'
        with open(os.path.join(a.out, name + '.patch'), 'w', encoding='utf-8') as f:
            f.write(automut.patch_text(m, texts[m.path], patch_of[m.commit], killers, name))
        rows.append(f'{name}\t{m.path}\t{m.line}\t{m.op}\t{patch_of[m.commit]}')
    with open(os.path.join(a.out, 'index.tsv'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(['# name\tfile\tline\trule\tpatch'] + rows) + '\n')
    print(len(ms))
    return 0


def cmd_userspace_tlbi(a):
    """The series' TLBI range code in userspace (harness/userspace.py), then each mutant of
    asm/tlbflush.h in a.mutants: exit 1 when the series fails, or when a mutant of the
    catalogue (not Unobservable:, not mechanical) that changes the compiled code survives."""
    r = userspace.run_tree(a.tree)
    print(f'series: {"passed" if r.ok else "FAILED"}: {r.detail}')
    if not r.ok:
        return 1
    parsed = [mutants.parse(os.path.join(d, f)) for d in a.mutants for f in sorted(os.listdir(d))
              if f.endswith('.patch')]
    mine = {m.name: m for m in parsed if m.files == [userspace.HEADER]}
    bad, counts = 0, {}
    for name, v, detail in userspace.judge(a.tree, [m.path for m in mine.values()]):
        m = mine[name]
        counts[v] = counts.get(v, 0) + 1
        must = m.cls != 'mechanical' and not m.unobservable and v in ('survived', 'error')
        bad += must
        print(f"{'FAIL ' if must else ''}{v:10} {name}  {detail}")
    print(', '.join(f'{n} {v}' for v, n in sorted(counts.items())) or 'no mutant of ' + userspace.HEADER)
    return 1 if bad else 0


def cmd_mutant_plan(a):
    n = mutants.subset_plan(mutants.parse(a.mutant), a.plans, a.out)
    print(n)
    return 0


def cmd_mutant_verdict(a):
    m = mutants.parse(a.mutant)
    v, detail = mutants.verdict(m, a.results)
    print(f"{m.name}\t{' '.join(m.killers)}\t{v}\t{detail}")
    return 0 if v == 'killed' else 1


def main(argv=None):
    p = argparse.ArgumentParser(prog='python3 -m harness')
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('check-plan'); s.add_argument('plan'); s.add_argument('known', nargs='?')
    s.add_argument('suites', nargs='?', help='the KUnit suites, which known-failures may name too')
    s.add_argument('--also', action='append', default=[],
                   help='another plan whose tests known-failures may name (plan/bench.plan)')
    s.set_defaults(fn=cmd_check_plan)
    s = sub.add_parser('elf-closure'); s.add_argument('root'); s.add_argument('programs', nargs='+')
    s.add_argument('--readelf', default='readelf'); s.set_defaults(fn=cmd_elf_closure)
    s = sub.add_parser('timeout'); s.add_argument('plan'); s.add_argument('--margin', type=int, default=600)
    s.set_defaults(fn=cmd_timeout)
    s = sub.add_parser('tree-version'); s.add_argument('dir'); s.add_argument('--want', default='6.1', help='X.Y the tree must be'); s.set_defaults(fn=cmd_tree_version)
    s = sub.add_parser('kunit-log'); s.add_argument('console'); s.add_argument('out')
    s.set_defaults(fn=cmd_kunit_log)
    s = sub.add_parser('report')
    for opt in ('console', 'plan', 'out'):
        s.add_argument('--' + opt, required=True)
    s.add_argument('--known'); s.add_argument('--kunit-json'); s.add_argument('--kunit-error')
    s.add_argument('--suites'); s.add_argument('--optional-suites', action='store_true')
    s.add_argument('--expect-mode', default='vhe'); s.add_argument('--qemu-status', default='ok')
    s.add_argument('--cpu', default='max'); s.add_argument('--page-size', default='4k')
    s.add_argument('--label', default='series')
    s.set_defaults(fn=cmd_report)
    s = sub.add_parser('compare'); s.add_argument('base'); s.add_argument('series')
    s.set_defaults(fn=cmd_compare)
    def mail_parser(name, fn):
        s = sub.add_parser(name)
        s.add_argument('--placeholders', default=os.path.join(ROOT, 'send', 'placeholder-addresses'))
        s.set_defaults(fn=fn)
        return s
    s = mail_parser('mail-sender', cmd_mail_sender); s.add_argument('spec')
    s = mail_parser('mail-patches', cmd_mail_patches); s.add_argument('--sender', required=True)
    s.add_argument('patches', nargs='+')
    mail_parser('mail-drop-signoffs', cmd_mail_drop_signoffs)
    s = mail_parser('mail-target', cmd_mail_target); s.add_argument('target')
    s.add_argument('--targets', default=os.path.join(ROOT, 'send', 'targets'))
    s = mail_parser('mail-select', cmd_mail_select); s.add_argument('spec')
    s = mail_parser('mail-recipients', cmd_mail_recipients)
    s.add_argument('--mode', choices=sorted(mail.MAINTAINER_MODES), default='to')
    s = mail_parser('mail-address', cmd_mail_address); s.add_argument('mail'); s.add_argument('rcpt')
    s.add_argument('--to'); s.add_argument('--cc')
    s = mail_parser('mail-cover', cmd_mail_cover)
    s.add_argument('--measurements', required=True); s.add_argument('--target', required=True)
    s.add_argument('--also', action='append', default=[],
                   help='the figures of another configuration (CPU model, KVM mode) of the same series')
    s.add_argument('--table', default=os.path.join(ROOT, 'send', 'cover-table'))
    s.add_argument('--targets', default=os.path.join(ROOT, 'send', 'targets'))
    def posting_args(s, required):
        s.add_argument('--base-line', required=required, help='bases/*: 6.1, 6.12')
        s.add_argument('--base-version', required=required, help="the posting's base: 6.12.118")
        s.add_argument('--base-revision', default='', help="its Debian package's version, if any")
    posting_args(s, False)
    s = sub.add_parser('series-id', help="the identity of a series' figures: its patches' patch ids")
    s.add_argument('patches', nargs='+'); s.set_defaults(fn=cmd_series_id)
    s = sub.add_parser('figures-select', help='the figures a posting may carry, one directory a line')
    s.add_argument('dirs', nargs='*'); s.add_argument('--series-id', required=True)
    s.add_argument('--config', required=True, help='QEMU_CPU-KVM_MODE of the main table')
    posting_args(s, True); s.set_defaults(fn=cmd_figures_select)
    s = sub.add_parser('figures-check', help='a recorded measurement directory is complete and of this series')
    s.add_argument('dir'); s.add_argument('--series-id', required=True); s.add_argument('--base-line', required=True)
    s.add_argument('--any-name', action='store_true', help='the directory is not (yet) in measurements/')
    s.set_defaults(fn=cmd_figures_check)
    s = sub.add_parser('figures-fixture', help="made-up figures for the test of 'make send'")
    s.add_argument('out'); s.add_argument('meta', nargs='*', help='key=value of meta.json')
    s.add_argument('--table', required=True); s.set_defaults(fn=cmd_figures_fixture)
    s = mail_parser('mail-outbox', cmd_mail_outbox); s.add_argument('outbox')
    s.add_argument('--sender', required=True); s.add_argument('--patches', type=int, required=True)
    s.add_argument('--prefix', required=True); s.add_argument('--cover', action='store_true')
    s.add_argument('--require', action='append'); s.add_argument('--forbid', action='append')
    s.add_argument('--only', help='comma-separated: the only recipients allowed')
    s = sub.add_parser('plan-select', help='the plan lines of a list of names')
    s.add_argument('names'); s.add_argument('plans', nargs='+'); s.add_argument('--out', required=True)
    s.add_argument('--override', action='append', default=[],
                   help='a plan whose lines replace those of the same name (skipped if absent)')
    s.set_defaults(fn=cmd_plan_select)
    s = sub.add_parser('matrix-table'); s.add_argument('cells', nargs='+', help='NAME=results.json')
    s.add_argument('--counts', required=True); s.set_defaults(fn=cmd_matrix_table)
    s = sub.add_parser('mutant-check'); s.add_argument('dir'); s.add_argument('--series', required=True)
    s.add_argument('--suites', required=True); s.add_argument('--plans', nargs='+', required=True)
    s.set_defaults(fn=cmd_mutant_check)
    s = sub.add_parser('mutant-list'); s.add_argument('dir'); s.add_argument('--pattern', default='')
    s.add_argument('--config', nargs='*', default=[], help='the run: QEMU_CPU=... KVM_MODE=... PAGE_SIZE=...')
    s.set_defaults(fn=cmd_mutant_list)
    s = sub.add_parser('automut', help='mechanical mutants of the series tree (harness/automut.py)')
    s.add_argument('--tree', required=True); s.add_argument('--base', required=True)
    s.add_argument('--series', required=True); s.add_argument('--out', required=True)
    s.add_argument('--suites', help='KUnit suites file: every suite is a killer (default)')
    s.add_argument('--killers', help='space-separated Killed-by: entries instead')
    s.add_argument('--per-file', type=int, default=0, help='fixed-seed sample per file (0: all)')
    s.add_argument('--seed', type=int, default=1)
    s.add_argument('files', nargs='*')
    s.set_defaults(fn=cmd_automut)
    s = sub.add_parser('userspace-tlbi', help='the TLBI range code in userspace, and its mutants')
    s.add_argument('--tree', required=True); s.add_argument('--mutants', nargs='*', default=[])
    s.set_defaults(fn=cmd_userspace_tlbi)
    s = sub.add_parser('mutant-plan'); s.add_argument('mutant'); s.add_argument('--out', required=True)
    s.add_argument('--plans', nargs='+', required=True); s.set_defaults(fn=cmd_mutant_plan)
    s = sub.add_parser('mutant-verdict'); s.add_argument('mutant'); s.add_argument('results')
    s.set_defaults(fn=cmd_mutant_verdict)
    a = p.parse_args(argv)
    try:
        return a.fn(a)
    except (plan.PlanError, treeversion.TreeError, mail.MailError, mutants.MutantError,
            figures.FiguresError, userspace.UserspaceError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    except OSError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
