#!/usr/bin/env python3
"""cover.py get COVER  -> print "subject\n\nblurb" (the branch description for format-patch)
   cover.py fix COVER DATE -> set the cover letter's Date: header (stable re-exports)"""
import re
import sys


def get(path):
    text = open(path, encoding='utf-8').read()
    head, _, body = text.partition('\n\n')
    subj = ''
    lines = head.split('\n')
    for i, l in enumerate(lines):
        if l.startswith('Subject:'):
            subj = l[len('Subject:'):].strip()
            j = i + 1
            while j < len(lines) and lines[j].startswith((' ', '\t')):
                subj += ' ' + lines[j].strip()
                j += 1
    subj = re.sub(r'^\[[^]]*\]\s*', '', subj)
    blurb = []
    for l in body.split('\n'):
        if re.match(r'^\S.*\(\d+\):$', l):
            break
        blurb.append(l)
    print(subj + '\n\n' + '\n'.join(blurb).strip() + '\n')


def fix(path, date):
    text = open(path, encoding='utf-8').read()
    text = re.sub(r'^Date: .*$', 'Date: ' + date, text, count=1, flags=re.M)
    open(path, 'w', encoding='utf-8').write(text)


if __name__ == '__main__':
    if sys.argv[1] == 'get':
        get(sys.argv[2])
    elif sys.argv[1] == 'fix':
        fix(sys.argv[2], sys.argv[3])
    else:
        sys.exit('usage: cover.py get COVER | fix COVER DATE')
