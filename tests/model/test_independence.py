"""The reference model stays independent of the product it checks."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_reference_model_imports_nothing_from_the_product() -> None:
    assert not {n for n in _imports(HERE / "reference.py") if n.startswith("voucher_graph")}


def test_the_world_strategies_make_hetus_without_the_products_hetu_code() -> None:
    # The generated worlds go through the product's loader (which validates them); the
    # codes in them must come from DOMAIN.md's rule, or a shared mistake would pass. The
    # builder they are made with (world_builder.hetu) imports nothing from the product.
    assert "voucher_graph.domain.hetu" not in _imports(HERE / "strategies.py")
    builder = _imports(HERE.parent / "world_builder.py")
    assert not {n for n in builder if n.startswith("voucher_graph")}
