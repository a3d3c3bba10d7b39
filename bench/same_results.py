#!/usr/bin/env python3
"""Compares two run directories of the same config and seed: history.jsonl without its
timing fields (in (index, rung) order, whatever order the evaluations finished in) and
pareto.json. Prints the first difference and exits 1, or says they are identical."""
import json
import sys

TIMING = {"train_seconds", "images_per_second", "int8_seconds", "qat_seconds", "finished_at"}


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def history(run):
    with open(f"{run}/history.jsonl") as f:
        records = [strip(json.loads(line)) for line in f if line.endswith("\n")]
    return sorted(records, key=lambda r: (r.get("index", 0), r.get("rung", 0)))


def first_difference(a, b, where=""):
    if type(a) is not type(b):
        return f"{where or '/'}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}/{key}: only in {'the second' if key in b else 'the first'}"
            d = first_difference(a[key], b[key], f"{where}/{key}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} entries != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}/{i}")
            if d:
                return d
        return None
    return None if a == b else f"{where}: {a!r} != {b!r}"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: same_results.py RUN_DIR_A RUN_DIR_B")
    a, b = sys.argv[1:]
    for name, load in (("history.jsonl", history), ("pareto.json", lambda r: json.load(open(f"{r}/pareto.json")))):
        d = first_difference(load(a), load(b))
        if d:
            print(f"{name} differs at {d}")
            sys.exit(1)
        print(f"{name}: identical ({a} and {b})")


if __name__ == "__main__":
    main()
