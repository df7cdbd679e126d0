"""The project's modules import each other in layers, without circles.

Read from the source with ``ast`` (every ``import``, at the top of a module or inside a
function: an import moved into a function to dodge a circle is still an edge), over
every first-party package. The layers, from the bottom (docs/ARCHITECTURE.md):

0. engine      ``tiles.engine``: numpy, astropy, pyvips, simplejpeg; never the web.
1. domain      ``portal`` (models, permissions, events, registration, jobs, caches...)
               and ``tiles.storage`` (where derived files live).
2. apps        ``tiles``, ``catalogs``, ``archive``: they subscribe to the domain's
               events (``portal/events.py``) and build on it.
3. interfaces  what speaks HTTP, WebSocket or the command line: views, serializers,
               urls, routing, consumers, the ASGI fast path and body limits, admin,
               management commands, ``portal.api``, ``portal.cli``, ``frontend``.
4. wiring      ``portal`` itself (the Celery app), ``portal.settings``, ``.urls``,
               ``.asgi``, ``.wsgi``, ``.celery``, ``.apps``.

A module imports modules of its own layer or below, never above; and the import graph
has no cycle, within a layer as across them.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(
    path.parent.name for path in ROOT.glob("*/apps.py") if (path.parent / "__init__.py").exists()
)
WIRING = {"portal", "portal.settings", "portal.urls", "portal.asgi", "portal.wsgi",
          "portal.celery", "portal.apps"}  # fmt: skip
INTERFACE_NAMES = {"views", "iip_views", "serializers", "urls", "routing", "consumers",
                   "fastpath", "body_limits", "admin", "cli", "lookup_views", "errorpages"}  # fmt: skip
LAYERS = ["engine", "domain", "apps", "interfaces", "wiring"]

# Imports that break the rules in modules whose owners have yet to change them; each
# must still exist (remove it here when it goes): "importer -> imported".
KNOWN = set()
KNOWN_CYCLES = [
    # The format registry imports the readers, which import its error type.
    {"catalogs.importers", "catalogs.importers.ds9", "catalogs.importers.geojson",
     "catalogs.importers.table"},
]  # fmt: skip
# What engine tests still borrow from portal: the demo star field (numpy and astropy
# only, but importing it imports the ``portal`` package and its Celery app).
KNOWN_ENGINE_TEST_IMPORTS = {"portal.demo"}
WEB = {"django", "rest_framework", "channels", "celery", "guardian", "corsheaders", "csp"}


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules():
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and "node_modules" not in path.parts
    }


def imported_names(path, name=None, modules=()):
    """Every module name ``path`` imports (absolute; relative ones resolved). ``from X
    import a`` names ``X.a`` when that is a module of ``modules``, else ``X``."""
    package = name if path.name == "__init__.py" else (name or "").rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base


def resolve(name, modules):
    """The project module ``name`` denotes (its longest known prefix), or None."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph():
    modules = project_modules()
    graph = {}
    for name, path in modules.items():
        targets = {resolve(t, modules) for t in imported_names(path, name, modules)}
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def layer(name):
    parts = name.split(".")
    if name.startswith("tiles.engine"):
        return "engine"
    if name in WIRING:
        return "wiring"
    if (
        parts[0] == "frontend"
        or name.startswith("portal.api")
        or "management" in parts
        or parts[-1] in INTERFACE_NAMES
    ):
        return "interfaces"
    if parts[0] == "portal" or name == "tiles.storage":
        return "domain"
    return "apps"


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_every_kind_of_import():
    """The reader itself: relative, function-level and ``from package import module``."""
    graph = import_graph()
    assert {"portal", "tiles", "catalogs", "frontend"} <= set(PACKAGES)
    assert "portal.signals" in graph["portal.apps"]  # inside ready()
    assert "tiles.tasks" in graph["tiles.apps"]  # ``from tiles import progress, tasks``
    assert "frontend.views" in graph["frontend.urls"]
    assert "tiles.engine.pyramid" in graph["tiles.engine"]


def test_no_import_circles():
    found = [sorted(c) for c in cycles(import_graph()) if c not in KNOWN_CYCLES]
    assert found == [], "modules that import each other, directly or not"


def test_known_cycles_still_exist():
    """Remove an entry of KNOWN_CYCLES once it is gone."""
    assert all(known in cycles(import_graph()) for known in KNOWN_CYCLES)


def test_no_module_imports_a_layer_above_its_own():
    upward = set()
    for name, targets in import_graph().items():
        for target in targets:
            if LAYERS.index(layer(target)) > LAYERS.index(layer(name)):
                upward.add(f"{name} -> {target}")
    assert upward - KNOWN == set(), "imports from a layer above"
    assert upward >= KNOWN, "remove the entries of KNOWN that no longer exist"


def test_the_circles_this_layering_ended_stay_ended():
    """Examples of the rules above, named for the circles they were: the domain asks
    for warms through its events (``tiles/apps.py`` subscribes), and the permissions
    ask the models, not the reverse."""
    graph = import_graph()
    warms = {"portal.registration", "portal.signals", "portal.admin", "portal.cli", "portal.models"}
    assert {name for name in warms if "tiles.tasks" in graph[name]} == set()
    assert "portal.permissions" not in graph["portal.models"]


def test_the_engine_imports_nothing_of_the_project_or_the_web():
    modules = project_modules()
    wrong = []
    for name, path in modules.items():
        if layer(name) != "engine":
            continue
        for target in imported_names(path, name, modules):
            top = target.split(".")[0]
            inside = resolve(target, modules)
            if top in WEB or (inside is not None and layer(inside) != "engine"):
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_engine_tests_need_nothing_of_portal():
    modules = project_modules()
    found = {}
    for path in sorted((ROOT / "tests" / "engine").glob("*.py")):
        for target in imported_names(path, modules=modules):
            inside = resolve(target, modules)
            if target.split(".")[0] in WEB or (inside is not None and layer(inside) != "engine"):
                found.setdefault(inside or target, []).append(str(path.relative_to(ROOT)))
    assert {
        name: files for name, files in found.items() if name not in KNOWN_ENGINE_TEST_IMPORTS
    } == {}
    assert set(found) >= KNOWN_ENGINE_TEST_IMPORTS, "remove the entries that no longer exist"
