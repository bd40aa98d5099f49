#!/usr/bin/env python3
"""Validates every line of a file against a JSON Schema: validate_json_lines.py SCHEMA LINES.
Prints each invalid line with the reason and exits 1 if any; exits 2 if jsonschema is missing."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(2)

with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
validator = jsonschema.Draft7Validator(schema)
bad = 0
with open(sys.argv[2], encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        try:
            doc = json.loads(line)
        except ValueError as e:
            print(f"line {n}: not JSON ({e}): {line!r}")
            bad += 1
            continue
        errors = list(validator.iter_errors(doc))
        if errors:
            print(f"line {n}: {line.strip()}: " + "; ".join(e.message for e in errors))
            bad += 1
print(f"{n if 'n' in dir() else 0} lines, {bad} invalid")
sys.exit(1 if bad else 0)
