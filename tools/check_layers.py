#!/usr/bin/env python3
"""Checks that each src/warren/<folder> includes only its own or earlier layers (STYLE.md §1)."""
import re
import sys
from pathlib import Path

LAYERS = [
    {"util", "metrics"},
    {"net", "amqp", "config"},
    {"auth", "store"},
    {"broker"},
    {"conn"},
    {"admin", "http", "cluster"},
]
RANK = {folder: i for i, layer in enumerate(LAYERS) for folder in layer}
INCLUDE = re.compile(r'#include\s+"warren/([a-z_]+)/')


def main() -> int:
    root = Path(__file__).resolve().parent.parent / "src" / "warren"
    bad = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        folder = path.relative_to(root).parts[0]
        if folder not in RANK:
            bad.append(f"{path}: folder '{folder}' has no layer in tools/check_layers.py")
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.search(line)
            if m and m.group(1) in RANK and RANK[m.group(1)] > RANK[folder]:
                bad.append(f"{path}:{n}: '{folder}' may not include 'warren/{m.group(1)}/' (a later layer)")
    for b in bad:
        print(b)
    print(f"check_layers: {len(bad)} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
