"""Every class of malformed input ends ``synchro analyze`` with its exit code and one line, input untouched.

The corpus is the reader tests' own (tests/malformed.py); here each case goes
through the command line's error handling (click's runner, in process).
"""

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from malformed import build_malformed_corpus

from synchro.cli import main


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("malformed")
    return {case.name: case for case in build_malformed_corpus(d)}


def _digest(path: Path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def pytest_generate_tests(metafunc):
    # One test per case: the names come from building the corpus once at collection.
    if "case_name" in metafunc.fixturenames:
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            metafunc.parametrize("case_name", [case.name for case in build_malformed_corpus(d)])


def test_malformed_input_exit_code_and_one_line(corpus, case_name, tmp_path):
    case = corpus[case_name]
    before = _digest(case.path)
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["analyze", str(case.path), *case.cli_args, "-o", str(out)])
    assert result.exit_code == case.error.exit_code, (result.stderr, result.exception)
    assert result.stderr.startswith("synchro: error: ") and result.stderr.count("\n") == 1
    assert case.message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert _digest(case.path) == before
    assert not out.exists()
