"""Compare two report.json files key by key: every number, word and list the same, bit for bit.

Left out: what describes the run rather than the data's analysis: ``timings`` (seconds of each step),
``versions``, ``generator`` (program version, date, platform) and the input's ``path``. Floats are compared
exactly (``==``), so a report whose numbers moved by one rounding step is reported.

Usage::

    python benchmarks/compare_reports.py BEFORE/report.json AFTER/report.json

exits 0 when the reports agree, 1 with the differing keys (at most 20 shown) otherwise. ``differences(a, b)``
returns the same list for use from Python (benchmarks/bench_w1.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: Top-level keys that describe the run, not the analysis.
IGNORED = ("timings", "versions", "generator")
#: Keys of ``input`` that depend on where the file lies.
IGNORED_INPUT = ("path",)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _walk(a, b, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                out.append(f"{where}.{key}: only in {'after' if key not in a else 'before'}")
            else:
                _walk(a[key], b[key], f"{where}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items before, {len(b)} after")
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{where}[{i}]", out)
    elif type(a) is not type(b) or a != b:
        out.append(f"{where}: {_short(a)} before, {_short(b)} after")


def differences(before: dict, after: dict) -> list[str]:
    """Every key path where two report.json documents differ, outside the run's own description.

    Parameters
    ----------
    before, after : dict
        Two parsed report.json documents.

    Returns
    -------
    list of str
        ``"path: before value, after value"`` per difference; empty when the reports agree.
    """
    a = {k: v for k, v in before.items() if k not in IGNORED}
    b = {k: v for k, v in after.items() if k not in IGNORED}
    for doc in (a, b):
        if isinstance(doc.get("input"), dict):
            doc["input"] = {k: v for k, v in doc["input"].items() if k not in IGNORED_INPUT}
    out: list[str] = []
    _walk(a, b, "report", out)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/compare_reports.py BEFORE/report.json AFTER/report.json", file=sys.stderr)
        return 2
    before, after = (json.loads(Path(p).read_text()) for p in argv)
    diff = differences(before, after)
    if not diff:
        print("report.json identical (timings, versions, generator and input path left out)")
        return 0
    print(f"{len(diff)} differences:")
    for line in diff[:20]:
        print("  " + line)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
