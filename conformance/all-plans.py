#!/usr/bin/env python3
"""Reads `conformance list` on stdin and prints every plan and variant as the run scripts take
them: "PLAN" for a plan with one variant, "PLAN:VARIANT" ('+' for spaces) otherwise."""
import re
import sys

for line in sys.stdin:
    m = re.match(r"^(\S+) \(variants: (.*)\)\s*$", line)
    if not m:
        continue
    plan, variants = m.group(1), [v.strip() for v in m.group(2).split(",")]
    if len(variants) == 1:
        print(plan)
    else:
        for v in variants:
            print(f"{plan}:{v.replace(' ', '+')}")
