"""Shared fixtures: small, seeded, generic. Add new fixtures here only when several test files need them."""

import numpy as np
import pytest

from synchro.core import Recording, Signal, SpikeData


@pytest.fixture
def rng():
    """A seeded generator: every test that draws random numbers is reproducible."""
    return np.random.default_rng(20031)


@pytest.fixture
def small_recording():
    """12 Poisson units (8 exc, 4 inh, one silent, one labelled noise) over 0-4 s, with a 3-channel LFP (V).

    Unit ids are non-contiguous (as in real sortings); there is one extra
    float and one bool unit column; the LFP is sampled at 250 Hz from 0 s.
    """
    gen = np.random.default_rng(7)
    trains = [np.sort(gen.uniform(0.0, 4.0, gen.poisson(12.0 * 4.0))) for _ in range(11)] + [np.empty(0)]
    units = {
        "id": np.arange(12) * 3 + 101,
        "label": [f"u{i}" for i in range(12)],
        "population": ["exc"] * 8 + ["inh"] * 4,
        "quality": ["good"] * 10 + ["noise", "good"],
        "depth_um": gen.uniform(0.0, 1000.0, 12),
        "is_wide": np.arange(12) % 2 == 0,
    }
    spikes = SpikeData.from_trains(trains, t_start=0.0, t_stop=4.0, units=units)
    lfp = Signal(gen.normal(0.0, 1e-4, (1000, 3)), 250.0, 0.0, units="V", name="LFP",
                 channels={"electrode_id": np.array([4, 5, 6]),
                           "location": np.array(["CA1", "CA1", "CA3"], dtype=object)})
    return Recording(spikes, {"LFP": lfp}, {"origin": "conftest small_recording", "seed": 7})


def schema_errors(doc) -> list[str]:
    """Where a report.json document breaks the JSON Schema synchro ships (empty when it validates)."""
    import json

    import jsonschema

    from synchro.report import SCHEMA_FILE

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]


@pytest.fixture(scope="session", autouse=True)
def every_report_json_matches_the_schema(tmp_path_factory):
    """After the whole run: every report.json a test wrote (under pytest's temporary folders) validates.

    Left out: files the tests write on purpose as something else (another program's report, a half-written
    temporary folder, whose name starts with a dot).
    """
    import json

    yield
    bad = []
    for path in tmp_path_factory.getbasetemp().rglob("report.json"):
        if any(part.startswith(".") for part in path.parts[-3:-1]):
            continue
        try:
            doc = json.loads(path.read_text())
        except ValueError:
            bad.append(f"{path}: not JSON")
            continue
        if doc.get("generator", {}).get("program") != "synchro":
            continue
        bad += [f"{path}: {e}" for e in schema_errors(doc)[:3]]
    assert not bad, "report.json files that break synchro/data/report.schema.json:\n" + "\n".join(bad[:20])
