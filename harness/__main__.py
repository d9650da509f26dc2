"""python3 -m harness <command> ...  (run from the repository root)"""
import argparse
import json
import os
import sys

from . import compare, console, plan, results, treeversion


def _read_lines(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return console.clean(f)


def cmd_check_plan(a):
    entries = plan.load_plan(a.plan)
    known = plan.load_known_failures(a.known) if a.known else {}
    names = {e.name for e in entries}
    stray = sorted(set(known) - names)
    if stray:
        print(f'{a.known}: names not in {a.plan}: {", ".join(stray)}', file=sys.stderr)
        return 1
    print(f'{a.plan}: {len(entries)} tests, {len(known)} known failures, '
          f'global timeout {plan.global_timeout(entries)}s')
    return 0


def cmd_timeout(a):
    print(plan.global_timeout(plan.load_plan(a.plan), a.margin))
    return 0


def cmd_tree_version(a):
    print(treeversion.check_tree(a.dir))
    return 0


def cmd_kunit_log(a):
    with open(a.out, 'w', encoding='utf-8') as f:
        for line in console.kunit_lines(_read_lines(a.console)):
            f.write(line + '\n')
    return 0


def cmd_report(a):
    lines = _read_lines(a.console)
    entries = plan.load_plan(a.plan)
    known = plan.load_known_failures(a.known) if a.known else {}
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
    meta = {'label': a.label, 'console': os.path.abspath(a.console), 'kvm_mode': console.kvm_mode(lines)}
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


def main(argv=None):
    p = argparse.ArgumentParser(prog='python3 -m harness')
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('check-plan'); s.add_argument('plan'); s.add_argument('known', nargs='?')
    s.set_defaults(fn=cmd_check_plan)
    s = sub.add_parser('timeout'); s.add_argument('plan'); s.add_argument('--margin', type=int, default=600)
    s.set_defaults(fn=cmd_timeout)
    s = sub.add_parser('tree-version'); s.add_argument('dir'); s.set_defaults(fn=cmd_tree_version)
    s = sub.add_parser('kunit-log'); s.add_argument('console'); s.add_argument('out')
    s.set_defaults(fn=cmd_kunit_log)
    s = sub.add_parser('report')
    for opt in ('console', 'plan', 'out'):
        s.add_argument('--' + opt, required=True)
    s.add_argument('--known'); s.add_argument('--kunit-json'); s.add_argument('--kunit-error')
    s.add_argument('--suites'); s.add_argument('--optional-suites', action='store_true')
    s.add_argument('--expect-mode', default='vhe'); s.add_argument('--qemu-status', default='ok')
    s.add_argument('--label', default='series')
    s.set_defaults(fn=cmd_report)
    s = sub.add_parser('compare'); s.add_argument('base'); s.add_argument('series')
    s.set_defaults(fn=cmd_compare)
    a = p.parse_args(argv)
    try:
        return a.fn(a)
    except (plan.PlanError, treeversion.TreeError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    except OSError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
