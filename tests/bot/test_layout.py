"""bot/ is grouped by role (edge, turns, features, outbox, jobs) and its modules import one another without a
circle: every import counts, those under `if TYPE_CHECKING:` and inside functions too, so a circle cannot hide
there, and so does the package `__init__` an import runs before its module."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
# What may stay at the top of bot/: the package itself and the runtime that wires the groups together.
TOP_LEVEL = {"__init__.py", "runtime.py"}


def _modules() -> dict[str, Path]:
    """Every module of bot/ by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(BOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(path: Path, name: str) -> set[str]:
    """The dotted names `path` (module `name`) imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # `from package import module`
    return names


def import_graph() -> dict[str, set[str]]:
    """Which bot/ module imports which. Importing `a.b.c` also runs the packages `a` and `a.b` first, so those
    are edges too, except a module's own packages (they are already running when it is imported)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in _imported(path, name):
            parts = imported.split(".")
            for size in range(1, len(parts) + 1):
                target = ".".join(parts[:size])
                if target in modules and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_circle_and_only_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_counts_type_checking_imports_and_the_packages_an_import_runs():
    graph = import_graph()
    assert "bot.outbox.sender" in graph["bot.turns.services"]  # imported under TYPE_CHECKING only
    assert "bot.features" in graph["bot.turns.handler"]  # `from bot.features import follow` runs the package
    assert "bot.features" not in graph["bot.features.help"]  # its own package


def test_bot_modules_import_one_another_without_a_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or ())


def test_nothing_is_left_flat_in_bot_but_the_package_and_the_runtime():
    flat = {path.name for path in BOT.glob("*.py")}
    assert flat <= TOP_LEVEL, f"group these by role: {sorted(flat - TOP_LEVEL)}"
    for folder in (path for path in BOT.iterdir() if path.is_dir() and path.name != "__pycache__"):
        assert (folder / "__init__.py").is_file(), f"{folder.name}/ is not a package"


# Each bot module imported first, in an interpreter where no bot module has been imported yet: a fork of one that
# has loaded what bot/ imports from elsewhere (libraries, desk/, cards/...), so the check costs one start-up, not
# one per module.
_FRESH_IMPORTS = """
import importlib, os, sys, traceback
libraries, modules = sys.argv[1].split(), sys.argv[2].split()
for library in libraries:
    importlib.import_module(library)
assert not [name for name in sys.modules if name == "bot" or name.startswith("bot.")], "a library imported bot"
failed = []
for module in modules:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(module)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0:
        failed.append(module)
print(" ".join(failed))
"""


def test_every_bot_module_imports_first_in_a_fresh_interpreter():
    modules = _modules()
    libraries = set()
    for name, path in modules.items():
        libraries |= {imported for imported in _imported(path, name) if imported.split(".")[0] != "bot"}
    # `from x import name` adds `x.name`, which may be a class rather than a module: load the modules only.
    loadable = sorted(name for name in libraries if _is_module(name))
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_IMPORTS, " ".join(loadable), " ".join(sorted(modules))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], done.stderr


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
