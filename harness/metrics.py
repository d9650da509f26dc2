"""Numeric figures a test prints, for the side-by-side report."""
import re
from typing import Dict, List

# "Iteration 2 dirty memory time: 0.123s", "KVM_CREATE_MAPPINGS: total execution time: 1.5s",
# "Get dirty log over 3 iterations took 0.9s. (Avg ...)"
SECONDS = re.compile(r'^(?P<label>[A-Za-z][^:]*?(?:: total execution)?)(?: time:| took) '
                     r'(?P<val>\d+(?:\.\d+)?)s\b')
# Counts a test (or a later benchmark step) prints on purpose: "METRIC <name> <value> [unit]"
EXPLICIT = re.compile(r'^METRIC (?P<label>\S+) (?P<val>[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\b')


def extract(output: List[str]) -> Dict[str, float]:
    figures: Dict[str, float] = {}
    for line in output:
        line = line.strip()
        m = EXPLICIT.match(line)
        unit = ''
        if not m:
            m = SECONDS.search(line)
            unit = ' (s)'
        if not m:
            continue
        label = re.sub(r'\s+', ' ', m.group('label')).strip() + unit
        key, n = label, 2
        while key in figures:
            key = f'{label} #{n}'
            n += 1
        figures[key] = float(m.group('val'))
    return figures
