"""The public surface is deliberate: every exported name exists and is listed once."""

from __future__ import annotations

import importlib

import pytest

import livetrade
import livetrade.model

PUBLIC_PACKAGES = [
    "livetrade",
    "livetrade.model",
    "livetrade.config",
    "livetrade.testing",
    "livetrade.cache",
    "livetrade.risk",
]

MODEL_MODULES = [
    "identifiers",
    "enums",
    "quantities",
    "money",
    "instruments",
    "events",
    "orders",
    "positions",
    "position_events",
    "reports",
    "data",
    "book",
    "account",
]


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_is_unique_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)  # ruff (RUF022) keeps it sorted
    assert len(set(exported)) == len(exported)
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.{symbol} is listed but missing"


def test_model_package_exports_every_model_module_name() -> None:
    """``livetrade.model`` re-exports exactly the public names of its modules."""
    expected: set[str] = set()
    for short in MODEL_MODULES:
        expected.update(importlib.import_module(f"livetrade.model.{short}").__all__)
    assert set(livetrade.model.__all__) == expected


def test_version_is_exposed() -> None:
    assert livetrade.__version__.count(".") == 2
