"""The shape of the code, checked: a Slack-free core, modules that do one job, every verb declared whole."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    p for folder in ("bot", "handlers", "storage") for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts
)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_slack_or_what_people_read(path):
    """Domain rules return data or raise errors that carry data; Slack and its markup live elsewhere."""
    for name in imported(path):
        assert not name.startswith(("slack_sdk", "slack_bolt", "bot.messages", "bot.slack", "handlers")), (path, name)


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "messages").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_builders_are_pure(path):
    """Message builders turn data into payloads; they never call Slack or open a session (slack_sdk's
    models, plain data that names Block Kit's limits, are the one part of it they may read)."""
    for name in imported(path):
        if name.startswith("slack_sdk.models"):
            continue
        assert not name.startswith(("slack_sdk", "slack_bolt", "bot.slack", "handlers", "storage.db")), (path, name)


# --- the layers: imports point one way (ARCHITECTURE.md) ------------------------------------------

# Top to bottom; a module imports only from its own layer or those below it. The start-up code
# (`python -m bot`, the playground) sits on top: it hands `handlers.register` to the app factory.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.__main__", "bot.playground"),
    ("handlers",),
    ("bot.slack", "bot.services", "bot.work"),  # Slack adapters and flows, the services they share, the backlog
    ("bot.messages",),
    ("bot.core", "bot.settings"),  # the domain, and the typed settings it reads (which read its date words)
    ("storage",),
    ("bot",),  # the package itself: a docstring
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in SOURCES}


def _ours(name: str) -> str | None:
    """The module of ours `name` is, or lies in (a class or function imported from it)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """Our modules `module` imports, at its top or inside a function, relative imports resolved."""
    path = MODULES[module]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if (target := _ours(name)) is not None and target != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def layer_of(module: str) -> int:
    for n, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return n
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and ARCHITECTURE.md")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_one_way(module):
    """handlers → bot/slack → bot/messages → bot/core → storage: nothing imports a layer above its own."""
    upward = {target for target in GRAPH[module] if layer_of(target) < layer_of(module)}
    assert upward == set(), (module, upward)


def test_no_import_cycle():
    """No module imports, even from inside a function, one that imports it back (however far round)."""
    cycles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(GRAPH[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert cycles == []


SHARED_BY_LISTENERS = ("handlers.answer", "handlers.context")  # how to answer, what a payload carries
LISTENER_MODULES = sorted(m for m in MODULES if m.startswith("handlers.") and m not in SHARED_BY_LISTENERS)


@pytest.mark.parametrize("module", LISTENER_MODULES)
def test_no_listener_imports_another(module):
    """Shared flows live in bot/slack; a listener module imports no other surface's listeners
    (only how to answer, what a payload carries, and its own package's parts)."""
    surface = ".".join(module.split(".")[:2])
    others = {
        target
        for target in GRAPH[module]
        if target.startswith("handlers") and target not in SHARED_BY_LISTENERS and not target.startswith(surface)
    }
    assert others == set(), (module, others)


def test_no_module_outside_tests_and_migrations_is_long():
    long = {str(p.relative_to(ROOT)): n for p in SOURCES if (n := len(p.read_text().splitlines())) > 430}
    assert long == {}
