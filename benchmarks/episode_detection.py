"""Planted rhythm bursts found by ``rhythm_episodes``, with their onset, offset and frequency, over many sets.

tests/test_episodes.py checks 30 sets of one seed (60 bursts of each kind) in CI; this runs more seeds for the
figures quoted in docs/methods.rst and synchro/episodes/edges.py. Each set (tests/episode_sets.py): 400 Poisson
units at 8 Hz under an OU drive (tau 50 ms, depth 0.3), 20 s, two bursts of 300 ms at 40 Hz and two of 600 ms at
10 Hz at depth 0.5, at random times. A burst is found when an episode of its band overlaps it (the most
overlapping one is matched); it is within tolerance when onset and offset are within 50 ms (gamma) or 100 ms
(alpha) and the peak frequency within 3 Hz (issue 17).

    python benchmarks/episode_detection.py [--seeds 17 101 202 303 404] [--sets 30]

Run it from another tree (``PYTHONPATH=/path/to/tree``) for that tree's figures. Measured (30 sets per seed, seeds
17, 101, 202, 303, 404: 300 bursts of each kind): alpha found 296, within tolerance 271 (90.3 %); gamma found 300,
within tolerance 290 (96.7 %). The tree before synchro.episodes.edges (1c84531): alpha 264 (88.0 %), gamma 287
(95.7 %), the same bursts found.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import episode_sets  # noqa: E402

from synchro.episodes import rhythm_episodes  # noqa: E402

TOLERANCE = {40.0: 0.05, 10.0: 0.1}  # onset and offset (s)
FREQ_TOLERANCE = 3.0  # Hz


def match(episodes, onset, offset):
    """The episode overlapping ``[onset, offset)`` most, or None."""
    hits = [e for e in episodes if e.start < offset and e.stop > onset]
    return max(hits, key=lambda e: min(e.stop, offset) - max(e.start, onset)) if hits else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[17, 101, 202, 303, 404])
    parser.add_argument("--sets", type=int, default=30, help="sets of 20 s per seed")
    args = parser.parse_args()
    rows = {40.0: [], 10.0: []}
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        for _ in range(args.sets):
            data, bursts = episode_sets.make_bursts(rng, n_units=400)
            res = rhythm_episodes(data, rng=2026)
            for freq, onset, offset in bursts:
                e = match(res["gamma" if freq == 40 else "alpha"].episodes, onset, offset)
                rows[freq].append(None if e is None else (e.start - onset, e.stop - offset, e.peak_hz - freq))
    print(f"seeds {args.seeds}, {args.sets} sets each")
    print("burst   found   within tolerance   onset error median (ms)   offset error median (ms)")
    for freq, found in rows.items():
        got = np.array([r for r in found if r is not None])
        good = int(np.sum((np.abs(got[:, 0]) <= TOLERANCE[freq]) & (np.abs(got[:, 1]) <= TOLERANCE[freq])
                          & (np.abs(got[:, 2]) <= FREQ_TOLERANCE)))
        print(f"{freq:4g} Hz  {len(got)}/{len(found)}  {good}/{len(found)} ({100 * good / len(found):.1f} %)  "
              f"{1e3 * np.median(got[:, 0]):+.0f}  {1e3 * np.median(got[:, 1]):+.0f}")


if __name__ == "__main__":
    main()
