"""Sphinx configuration of the synchro documentation.

Build with ``make docs`` (``sphinx-build -W --keep-going -b html docs docs/_build/html``).
Set ``SYNCHRO_DOCS_FAST=1`` to run the gallery at reduced size (CI).

Two pages are generated here, before Sphinx reads any source, so that they
follow the code instead of being copied from it:

- ``gen_modules/api/<module>.rst``: one reference page per public module,
  listing exactly the names in the module's ``__all__``;
- ``gen_modules/errors.rst``: every :mod:`synchro.errors` class with its exit
  code, and the real one-line message raised for each malformed input of the
  test corpus (``tests/malformed.py``), read with :func:`synchro.io.read`.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import sys
import tempfile
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import synchro  # noqa: E402

project = "synchro"
author = "synchro developers"
copyright = "2026, synchro developers"
release = synchro.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.py", "auto_examples/*.ipynb",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]
templates_path = []
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "py:obj"
# The sims docstrings write absolute values as |I_exc|, which reST reads as substitutions; render them as written.
rst_prolog = "\n".join(f".. |{name}| replace:: \\|{name}\\|" for name in ("I_exc", "I_inh")) + "\n"

# Members are documented by autodoc on the generated pages; numpydoc only renders the sections.
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "none"
autodoc_class_signature = "mixed"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

html_theme = "pydata_sphinx_theme"
html_title = f"synchro {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_static_path = []
# Pages without sub-pages get no (empty) left sidebar.
html_sidebars = {page: [] for page in ("index", "quickstart", "methods", "conventions", "report_schema", "guides/*")}
html_show_sourcelink = True

FAST = os.environ.get("SYNCHRO_DOCS_FAST", "") not in ("", "0")

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("synchro", "sims"),
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "capture_repr": ("_repr_html_",),
    "show_memory": False,
    # The timings are printed in the build log; no sg_execution_times.rst files in the tree.
    "write_computation_times": False,
}

# The examples run in this process: keep Brian2 on its compiler-free target and its logs quiet.
os.environ.setdefault("MPLBACKEND", "Agg")


# Generated API pages --------------------------------------------------------------

#: Public modules, in reading order: the data types, input/output, then the analyses and the simulations.
API_MODULES = {
    "synchro.core": "Data types",
    "synchro.errors": "Errors and warnings",
    "synchro.io": "Reading and writing data",
    "synchro.spectral": "Population rate and spectra",
    "synchro.rhythms": "Rhythm verdicts",
    "synchro.episodes": "Rhythm episodes",
    "synchro.surrogates": "Surrogate spike trains",
    "synchro.synchrony": "Synchrony indices",
    "synchro.coupling": "Spike-field coupling",
    "synchro.filtering": "Band-pass filtering and analytic signals",
    "synchro.lag": "E-I timing",
    "synchro.sensitivity": "Time-step sensitivity",
    "synchro.report": "The analysis report",
    "synchro.results": "Result objects and JSON values",
    "synchro.plotting": "Presentation conventions",
    "synchro.progress": "Progress bars",
    "synchro.cluster": "Dask clusters",
    "sims": "Reference networks",
    "sims.metrics": "Run metrics",
    "sims.sweep": "Parameter sweeps",
}


def _first_line(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ") if doc else ""


def _directive(obj) -> str:
    if inspect.isclass(obj):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def _api_page(modname: str, title: str) -> str | None:
    """RST of one module's reference page, or None when the module does not exist (yet)."""
    try:
        mod = importlib.import_module(modname)
    except ImportError:
        return None
    names = [n for n in getattr(mod, "__all__", []) if not n.startswith("_")]
    heading = f"{title}: ``{modname}``"
    lines = [heading, "=" * len(heading), "", f".. automodule:: {modname}", "   :no-members:", "",
             f".. currentmodule:: {modname}", ""]
    documented = []
    for name in names:
        obj = getattr(mod, name)
        # Its documented home: the longest public module path that holds the defining module (synchro.core for
        # synchro.core.spikes). A name re-exported from another documented module is documented once, at home.
        home = max((m for m in API_MODULES if f"{getattr(obj, '__module__', '')}.".startswith(f"{m}.")),
                   key=len, default=None)
        if home and home != modname and (inspect.isclass(obj) or callable(obj)):
            lines += [f"- ``{name}``: re-exported from :mod:`{home}` (:obj:`{home}.{name}`)", ""]
            continue
        documented.append((name, obj))
    if documented:
        lines += [".. list-table::", "   :widths: 30 70", ""]
        for name, obj in documented:
            lines += [f"   * - :obj:`{name}`", f"     - {_first_line(obj) if _directive(obj) != 'autodata' else ''}"]
        lines.append("")
    for name, obj in documented:
        directive = _directive(obj)
        comment = _submodule_comment(mod, name) if directive == "autodata" else None
        if comment is not None:
            # autodoc reads ``#:`` comments in the documented module's own source only: write the entry out.
            from sphinx.util.inspect import object_description

            lines.append(f".. data:: {name}")
            if isinstance(obj, (int, float, str, tuple)):
                lines.append(f"   :value: {object_description(obj)}")
            lines += [""] + [f"   {line}" if line else "" for line in comment]
            continue
        lines.append(f".. {directive}:: {name}")
        if directive == "autodata":
            lines.append("   :no-value:" if not isinstance(obj, (int, float, str, tuple)) else "")
        lines.append("")
    return "\n".join(lines)


def _submodule_comment(mod, name: str) -> list[str] | None:
    """The ``#:`` comment of a package's constant that one of its submodules defines, or None."""
    from sphinx.pycode import ModuleAnalyzer

    if ("", name) in ModuleAnalyzer.for_module(mod.__name__).find_attr_docs():
        return None
    for info in pkgutil.iter_modules(getattr(mod, "__path__", [])):
        sub = importlib.import_module(f"{mod.__name__}.{info.name}")
        if getattr(sub, name, None) is getattr(mod, name):
            doc = ModuleAnalyzer.for_module(sub.__name__).find_attr_docs().get(("", name))
            if doc:
                return list(doc)
    return None


def _write_if_changed(path: Path, text: str) -> None:
    # Rewriting an unchanged file would make Sphinx re-read it on every build.
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def write_api_pages() -> list[str]:
    """Write gen_modules/api/*.rst and return the document names, in order."""
    docs = []
    for modname, title in API_MODULES.items():
        page = _api_page(modname, title)
        if page is None:
            continue
        _write_if_changed(DOCS / "gen_modules" / "api" / f"{modname}.rst", page)
        docs.append(f"gen_modules/api/{modname}")
    index = ["API reference", "=============", "",
             "One page per public module; each lists exactly the names in the module's ``__all__``.", "",
             ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   {Path(d).name} <{Path(d).name}>" for d in docs]
    _write_if_changed(DOCS / "gen_modules" / "api" / "index.rst", "\n".join(index) + "\n")
    return docs


# Generated error table --------------------------------------------------------------

def _rst_cell(text: str) -> str:
    return " ".join(str(text).split())


def _plain(text: str) -> str:
    # Backslash-escape all punctuation: an error message is shown as written, never read as markup.
    return re.sub(r"([^A-Za-z0-9\s])", r"\\\1", _rst_cell(text))


def write_error_table() -> None:
    """Write gen_modules/errors.rst.inc (for the data guide) from synchro.errors and the malformed-input corpus."""
    from synchro import errors
    from synchro.io import read

    lines = [".. list-table:: Error classes",
             "   :header-rows: 1", "   :widths: 28 10 62", "",
             "   * - class", "     - exit code", "     - meaning"]
    for name in errors.__all__:
        cls = getattr(errors, name)
        if not isinstance(cls, type):
            continue  # check_installed, the function that raises MissingDependencyError
        if issubclass(cls, Warning):
            code = "(warning)"
        else:
            code = str(cls.exit_code)
        lines += [f"   * - :class:`~synchro.errors.{name}`", f"     - {code}", f"     - {_rst_cell(_first_line(cls))}"]
    lines.append("")

    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from malformed import build_malformed_corpus
    finally:
        sys.path.remove(str(ROOT / "tests"))
    lines += [".. list-table:: Malformed inputs and the message synchro gives",
              "   :header-rows: 1", "   :widths: 22 18 6 54", "",
              "   * - input", "     - error", "     - exit", "     - message (measured by reading the file)"]
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in build_malformed_corpus(tmp):
            try:
                read(case.path, **case.kwargs)
            except errors.SynchroError as err:
                raised, message = err, str(err).replace(str(tmp) + os.sep, "")
            else:
                raise RuntimeError(f"malformed input {case.name} was read without error")
            if not isinstance(raised, case.error):
                raise RuntimeError(f"{case.name}: expected {case.error.__name__}, got {type(raised).__name__}")
            opts = ", ".join(f"{k}={v!r}" for k, v in case.kwargs.items())
            what = case.name.replace("_", " ") + (f" (``{opts}``)" if opts else "")
            lines += [f"   * - {_rst_cell(what)}", f"     - ``{type(raised).__name__}``",
                      f"     - {raised.exit_code}", f"     - {_plain(message)}"]
    _write_if_changed(DOCS / "gen_modules" / "errors.rst.inc", "\n".join(lines) + "\n")


write_api_pages()
write_error_table()


# Every example must show at least one figure ------------------------------------------

def _check_example_figures(app, env) -> None:
    """Warn (an error under -W) for an example whose page shows no figure."""
    from sphinx.util import logging

    if str(app.config.plot_gallery).lower() in ("0", "false"):  # sphinx-build -D plot_gallery=0 runs nothing
        return
    images = DOCS / "auto_examples" / "images"
    for script in sorted((ROOT / "examples").glob("plot_*.py")):
        if not any(images.glob(f"sphx_glr_{script.stem}_0*.png")):
            logging.getLogger(__name__).warning(f"example {script.name} produced no figure")


def setup(app):
    app.connect("env-check-consistency", _check_example_figures)
