"""Every public function, class and method of synchro and sims has a numpydoc docstring.

Public means: named in the ``__all__`` of a module whose dotted path has no
component starting with ``_``, not itself starting with ``_``; for classes,
also their own methods (defined in the class body, not inherited) whose
names do not start with ``_``. Each object is checked once, under the module
that defines it, however often it is re-exported.

Rules, following numpydoc:

- a docstring exists;
- a callable with parameters (other than ``self``/``cls``) has a
  ``Parameters`` section naming each of them (``*args``/``**kwargs`` by
  their names; ``a, b : float`` documents both ``a`` and ``b``);
- a callable that returns a value has a ``Returns`` section (``Yields`` for
  generators). "Returns a value" is read from the return annotation when
  there is one (anything but ``None``), else from a ``return <expr>`` or
  ``yield`` in the function's own body;
- a class documents its constructor's parameters in the class docstring
  (or ``__init__``'s) under ``Parameters``; a dataclass may document them as
  ``Attributes``, since its constructor is generated from its fields;
- exceptions and warnings need only a docstring; properties need only a
  docstring (they are attributes).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import textwrap
import warnings

import pytest
from numpydoc.docscrape import NumpyDocString

PACKAGES = ("synchro", "sims")


def _public_modules() -> list:
    modules = []
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        names = [package] + [m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}.")]
        for name in names:
            if any(part.startswith("_") for part in name.split(".")):
                continue
            modules.append(importlib.import_module(name))
    return modules


def _home(obj) -> str:
    try:
        return inspect.getsourcefile(obj) or "?"
    except TypeError:
        return "?"


def _public_objects() -> list[tuple[str, object, object | None]]:
    """(qualified name, object, owning class or None) for every public callable, each once."""
    seen: set[int] = set()
    found = []
    for mod in _public_modules():
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if id(obj) in seen or not getattr(obj, "__module__", "").startswith(PACKAGES):
                continue
            seen.add(id(obj))
            found.append((f"{obj.__module__}.{obj.__qualname__}", obj, None))
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member):
                        found.append((f"{obj.__module__}.{obj.__qualname__}.{attr}", member, obj))
                    elif isinstance(member, property) and member.fget is not None:
                        found.append((f"{obj.__module__}.{obj.__qualname__}.{attr}", member, obj))
    return found


OBJECTS = _public_objects()


def _documented_names(doc: NumpyDocString, section: str) -> set[str]:
    names = set()
    for entry in doc[section]:
        for part in entry.name.split(","):
            names.add(part.strip().lstrip("*"))
    return names


def _parameters(func, skip_first: bool) -> list[str]:
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return []
    if skip_first and params and params[0].name in ("self", "cls"):
        params = params[1:]
    return [p.name for p in params if not p.name.startswith("_")]


class _OwnBody(ast.NodeVisitor):
    """Finds ``return <value>`` and ``yield`` in a function body, not in nested functions or classes."""

    def __init__(self):
        self.returns = self.yields = False

    def visit_Return(self, node):
        if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            self.returns = True

    def visit_Yield(self, node):
        self.yields = True

    visit_YieldFrom = visit_Yield

    def visit_FunctionDef(self, node):
        pass

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef


def _return_kind(func) -> str | None:
    """"Returns", "Yields" or None (returns nothing)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        tree = None
    body = _OwnBody()
    if tree is not None and tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        for stmt in tree.body[0].body:
            body.visit(stmt)
    if body.yields:
        return "Yields"
    annotation = inspect.signature(func).return_annotation
    if annotation is not inspect.Signature.empty:
        return None if annotation in (None, "None") else "Returns"
    return "Returns" if body.returns else None


def _parse(obj) -> tuple[NumpyDocString | None, str]:
    doc = inspect.getdoc(obj)
    if not doc or not doc.strip():
        return None, "no docstring"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpydoc warns on sections it cannot read
        try:
            return NumpyDocString(doc), ""
        except Exception as err:  # noqa: BLE001 - any parse problem is the finding
            return None, f"docstring is not valid numpydoc ({err})"


def problems(obj, owner) -> list[str]:
    """What the docstring of ``obj`` lacks; empty when it is complete."""
    if isinstance(obj, property):
        return [] if (inspect.getdoc(obj.fget) or "").strip() else ["no docstring"]
    doc, why = _parse(obj)
    if doc is None:
        return [why]
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return []
        init = obj.__init__ if "__init__" in vars(obj) else None
        params = _parameters(obj, skip_first=False)
        if not params:
            return []
        documented = _documented_names(doc, "Parameters")
        if init is not None and not documented:
            init_doc, _ = _parse(init)
            documented = _documented_names(init_doc, "Parameters") if init_doc else set()
        if dataclasses.is_dataclass(obj):
            documented |= _documented_names(doc, "Attributes")
        if not documented:
            return ["no Parameters section"]
        missing = [p for p in params if p not in documented]
        return [f"parameters not documented: {', '.join(missing)}"] if missing else []
    out = []
    params = _parameters(obj, skip_first=owner is not None)
    if params:
        documented = _documented_names(doc, "Parameters")
        if not doc["Parameters"]:
            out.append("no Parameters section")
        else:
            missing = [p for p in params if p not in documented]
            if missing:
                out.append(f"parameters not documented: {', '.join(missing)}")
    kind = _return_kind(obj)
    if kind and not doc[kind]:
        out.append(f"no {kind} section")
    return out


def test_public_api_is_found():
    names = {name for name, _, _ in OBJECTS}
    # The walk must reach the core types, their methods, the readers and the simulations.
    for expected in ("synchro.core.spikes.SpikeData", "synchro.core.spikes.SpikeData.from_arrays", "synchro.io.read",
                     "sims.api.simulate"):
        assert expected in names
    assert len(OBJECTS) > 50


def test_checker_catches_incomplete_docstrings():
    def undocumented(x):
        return x

    def no_returns(x):
        """Do something.

        Parameters
        ----------
        x : int
            A number.
        """
        return x + 1

    def complete(x, *, y=1):
        """Do something.

        Parameters
        ----------
        x, y : int
            Numbers.

        Returns
        -------
        int
        """
        return x + y

    def generator(n: int):
        """Count.

        Parameters
        ----------
        n : int
            How far.
        """
        yield from range(n)

    assert problems(undocumented, None) == ["no docstring"]
    assert problems(no_returns, None) == ["no Returns section"]
    assert problems(complete, None) == []
    assert problems(generator, None) == ["no Yields section"]


@pytest.mark.parametrize(("name", "obj", "owner"), OBJECTS, ids=[name for name, _, _ in OBJECTS])
def test_numpydoc_docstring(name, obj, owner):
    found = problems(obj, owner)
    assert not found, f"{name} ({_home(obj.fget if isinstance(obj, property) else obj)}): {'; '.join(found)}"
