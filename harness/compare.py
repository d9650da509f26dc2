"""Side-by-side report: the same plan on the base and the series kernel."""
from typing import List

from .results import Row


def _fmt(v):
    if v is None:
        return '-'
    return f'{v:.4g}'


def report(base: List[Row], series: List[Row]) -> str:
    bmap = {(r.kind, r.name): r for r in base}
    smap = {(r.kind, r.name): r for r in series}
    keys = [k for k in (list(bmap) + [k for k in smap if k not in bmap])]
    width = max([len(k[1]) for k in keys] + [4])
    out = [f"{'NAME':<{width}}  {'BASE':<7} {'SERIES':<7}"]
    for k in keys:
        b, s = bmap.get(k), smap.get(k)
        out.append(f"{k[1]:<{width}}  {(b.status if b else '-'):<7} {(s.status if s else '-'):<7}")
        labels = list((b.metrics if b else {}).keys())
        labels += [l for l in (s.metrics if s else {}) if l not in labels]
        if b and s and b.seconds is not None and s.seconds is not None:
            labels.insert(0, None)
        for label in labels:
            if label is None:
                bv, sv, text = b.seconds, s.seconds, 'wall time (s)'
            else:
                bv = b.metrics.get(label) if b else None
                sv = s.metrics.get(label) if s else None
                text = label
            ratio = f'{sv / bv:.3f}' if bv and sv is not None else '-'
            out.append(f'    {text:<{width + 10}} base {_fmt(bv):>10}  series {_fmt(sv):>10}  '
                       f'series/base {ratio}')
    return '\n'.join(out)
