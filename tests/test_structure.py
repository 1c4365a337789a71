"""The house's rules, read from the source with ast: no import cycle inside synchro; the analysis package never
imports sims or brian2 (only the CLI's simulate, sweep and demo do, inside those commands, and the Brian2 reader at
the edge, inside its function: its caller already holds Brian2 monitors); no module imports another module's
underscore name (a package-private module, ``synchro/_kernels.py``, is imported only inside its own package); and
no module of synchro or sims is over 450 lines (issue 15)."""

import ast
from pathlib import Path

import synchro

ROOT = Path(synchro.__file__).parent
SOURCES = sorted([*ROOT.rglob("*.py"), *(ROOT.parent / "sims").rglob("*.py")])
MAX_LINES = 450


def _modules():
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ("synchro", *path.relative_to(ROOT).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name, path, modules):
    """Modules of synchro a module imports (at any depth: lazy imports inside functions count too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return {m for m in found if m in modules and m != name}


def test_no_import_cycle_in_synchro():
    # A package and its own submodules import each other by design (re-exports); every other cycle is a defect
    # (issue 15 found report.model -> report.text -> report.pipeline -> report.model).
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}

    def related(a, b):
        return a.startswith(b + ".") or b.startswith(a + ".")

    cycles, done = [], set()

    def visit(node, stack):
        for nxt in sorted(graph[node]):
            if related(node, nxt):
                continue
            if nxt in stack:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in done:
                done.add(nxt)
                visit(nxt, stack + [nxt])

    for name in sorted(graph):
        if name not in done:
            done.add(name)
            visit(name, [name])
    assert cycles == []


def test_analysis_code_never_imports_sims_or_brian2():
    offenders = []
    for name, path in _modules().items():
        if name == "synchro.io.brian" or name.split(".")[:2] == ["synchro", "cli"]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{name}: {n}" for n in names if n.split(".")[0] in ("sims", "brian2")]
    assert offenders == []


def test_no_module_imports_another_modules_underscore_name():
    offenders = []
    for path in SOURCES:
        top = path.relative_to(ROOT.parent).parts[0]  # "synchro" or "sims"
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
                continue
            module = node.module or ""
            # A package-private module (a dotted part with one leading underscore) belongs to its own package.
            if not node.level and module.split(".")[0] != top and any(
                    p.startswith("_") and not p.startswith("__") for p in module.split(".")):
                offenders.append(f"{path.name}: from {module}")
            offenders += [f"{path.name}: {module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")
                          and not (path.parent / f"{a.name}.py").exists()
                          and not (ROOT / f"{a.name}.py").exists()]
    assert offenders == []


def test_no_module_is_over_450_lines():
    long = {str(p.relative_to(ROOT.parent)): n for p in SOURCES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
