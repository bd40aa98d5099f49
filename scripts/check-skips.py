#!/usr/bin/env python3
"""Counts a ctest run's results from its JUnit file and fails on a skip nobody allowed.

    check-skips.py JUNIT.xml ALLOWLIST [LABEL]

A skipped test hides whatever it was meant to catch, so CI accepts one only when the
allowlist names it (a regular expression matched against the whole test name) with the
reason. Prints one line: 'LABEL: N passed, N failed, N skipped (N allowed)'.
Exit 1 if a skip was not allowed or the file holds no test.
"""
import re
import sys
import xml.etree.ElementTree as ET


def load_allowlist(path):
    rules = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, sep, reason = line.partition("  ")
            if not sep or not reason.strip():
                sys.exit(f"{path}:{n}: write 'REGEX  REASON' (two spaces before the reason)")
            rules.append((re.compile(pattern.strip()), reason.strip()))
    return rules


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    junit, allowlist = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) == 4 else junit
    rules = load_allowlist(allowlist)
    passed = failed = skipped = allowed = 0
    refused = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        status = case.get("status", "")
        if case.find("skipped") is not None or status in ("disabled", "notrun", "skipped"):
            skipped += 1
            reason = next((r for p, r in rules if p.fullmatch(name)), None)
            if reason:
                allowed += 1
                print(f"  skipped (allowed: {reason}): {name}")
            else:
                refused.append(name)
        elif case.find("failure") is not None or case.find("error") is not None or status == "fail":
            failed += 1
        else:
            passed += 1
    print(f"{label}: {passed} passed, {failed} failed, {skipped} skipped ({allowed} allowed)")
    for name in refused:
        print(f"  SKIPPED, not in {allowlist}: {name}")
    if passed + failed + skipped == 0:
        print(f"{label}: no test ran")
        return 1
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
