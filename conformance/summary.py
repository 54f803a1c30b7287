#!/usr/bin/env python3
"""The closing summary of the run scripts: a table of the module counts per plan and variant,
the modules that FAILED (with their first failing condition), the total run time, and one line
"conformance: N passed, N failed" (WARNING and SKIPPED count as passed, as the suite's
certification does; REVIEW only when a reviewed-results file signed it off, otherwise it is listed
as unreviewed and counted as failed; expected failures are counted apart).

With --detail first, it also lists the WARNING and SKIPPED modules with their reason, grouped.

Usage: summary.py [--detail] REPORTS_DIR PLAN[:VARIANT] ..."""
import json
import pathlib
import sys

args = sys.argv[1:]
detail = bool(args) and args[0] == "--detail"
if detail:
    args = args[1:]
base = pathlib.Path(args[0])
notes = {}
passed = failed = expected = 0
seconds = 0.0
rows, failures = [], []
for entry in args[1:]:
    plan, _, variant = entry.partition(":")
    results = base / (plan + ("-" + variant if variant else "")) / "results.json"
    if not results.exists():
        rows.append(f"| {plan} | {variant.replace('+', ' ') or '—'} | no results | | | | | |")
        failed += 1
        continue
    counts = dict.fromkeys(["PASSED", "REVIEW", "WARNING", "SKIPPED", "FAILED"], 0)
    for module in json.loads(results.read_text())["modules"]:
        counts[module["outcome"]] = counts.get(module["outcome"], 0) + 1
        seconds += module.get("seconds") or 0
        if module["outcome"] in ("WARNING", "SKIPPED"):
            key = (module["module"], module["outcome"], module.get("skipped") or module.get("first_failure") or "")
            notes.setdefault(key, []).append(f"{plan.removeprefix('oidcc-').removesuffix('-certification-test-plan')}"
                                             + (f" {variant.replace('+', ' ')}" if variant else ""))
        if module["outcome"] == "REVIEW" and not module.get("reviewed"):
            failed += 1
            failures.append(f"- {plan} {variant}: {module['module']}: REVIEW, unreviewed (see report.html)")
        elif module["outcome"] == "FAILED":
            reason = module.get("first_failure") or module.get("aborted") or ""
            if module.get("expected_failure"):
                expected += 1
                failures.append(f"- {plan} {variant}: {module['module']} (expected: {module['expected_failure']}): {reason}")
            else:
                failed += 1
                failures.append(f"- {plan} {variant}: {module['module']}: {reason}")
        else:
            passed += 1
    rows.append(f"| {plan} | {variant.replace('+', ' ') or '—'} | "
                + " | ".join(str(counts[k]) for k in ["PASSED", "REVIEW", "WARNING", "SKIPPED", "FAILED"]) + " |")
print()
print("| plan | variant | passed | review | warning | skipped | failed |")
print("|---|---|---|---|---|---|---|")
print("\n".join(rows))
if failures:
    print()
    print("\n".join(failures))
if detail and notes:
    print()
    for (name, outcome, reason), where in sorted(notes.items()):
        print(f"- {name} {outcome} ({len(where)}×: {', '.join(where)}): {reason}")
print(f"\nmodule time {seconds / 60:.1f} min")
print(f"conformance: {passed} passed, {failed} failed" + (f" ({expected} expected failures)" if expected else ""))
