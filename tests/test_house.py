"""The house rules, checked on the source: layers, wings that do not import each other, no import cycles.

Layers (a part may import its own layer's base parts and the layers below; imports under TYPE_CHECKING do
not count, they never run):

    base:         config, events, auth, zh, store
    catalog:      the shared domain of products, sizes, money, coupons, stock (imports only base)
    realtime:     the transport (gateway, connection, router, fan-out, brokers) — no room, no feature
    rooms:        the room runtime, its core features and the service layer
    wings:        moderation, assistant, recommend (later interactions, playbooks, crm, analytics):
                  each may import the layers below, never another wing
    composition:  app, web, cli, sim, bench, supervisor: wire everything together
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "siyu"

BASE = {"config", "events", "auth", "zh", "store", "data"}
LAYERS: list[set[str]] = [BASE, {"catalog"}, {"realtime"}, {"rooms"}]
WINGS = {"moderation", "assistant", "recommend", "interactions", "playbooks", "crm", "analytics"}
COMPOSITION = {"app", "web", "cli", "sim", "bench", "supervisor", "__main__"}
BASE_ALLOWED: dict[str, set[str]] = {
    "config": set(), "zh": set(), "events": set(), "data": set(),
    "auth": {"config"}, "store": {"events", "config"},
}  # fmt: skip


def part_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def imported_parts(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for n in node.orelse:
                visit(n)
            return
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            bits = name.split(".")
            if bits[0] == "siyu" and len(bits) > 1:
                found.add(bits[1])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for f in SRC.rglob("*.py"):
        if "migrations" in f.parts or f.parent == SRC and f.name == "__init__.py":
            continue
        part = part_of(f)
        edges.setdefault(part, set()).update(p for p in imported_parts(f) if p != part)
    return edges


def layer_of(part: str) -> int:
    for i, layer in enumerate(LAYERS):
        if part in layer:
            return i
    return len(LAYERS) if part in WINGS else len(LAYERS) + 1


def test_every_part_has_a_place_in_the_house() -> None:
    parts = set(graph())
    known = set().union(*LAYERS) | WINGS | COMPOSITION
    assert parts <= known, f"new top-level parts need a layer in tests/test_house.py: {parts - known}"


def test_layers_only_import_downwards_and_wings_not_each_other() -> None:
    bad = []
    for part, deps in graph().items():
        if part in COMPOSITION:
            continue
        for dep in deps:
            if part in BASE:
                ok = dep in BASE_ALLOWED.get(part, set())
            elif part in WINGS:
                ok = dep not in WINGS and dep not in COMPOSITION
            else:
                ok = layer_of(dep) < layer_of(part)
            if not ok:
                bad.append(f"{part} -> {dep}")
    assert not bad, "imports against the house rules: " + ", ".join(sorted(bad))


def test_no_import_cycles_between_parts() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[str] = []

    def dfs(v: str, path: list[str]) -> None:
        state[v] = 1
        for w in sorted(edges.get(v, ())):
            if state.get(w) == 1:
                cycles.append(" -> ".join([*path[path.index(w):], w]))
            elif w not in state:
                dfs(w, [*path, w])
        state[v] = 2

    for v in sorted(edges):
        if v not in state:
            dfs(v, [v])
    assert not cycles, cycles


def test_the_gateway_imports_no_room_and_no_feature() -> None:
    for f in (SRC / "realtime").glob("*.py"):
        assert not imported_parts(f) & ({"rooms"} | WINGS), f"{f.name} imports a room part"
