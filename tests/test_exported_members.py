"""The public API is explicit, sorted and complete."""

from __future__ import annotations

import prodready


def test_all_is_sorted_and_complete() -> None:
    public = {
        name
        for name, value in vars(prodready).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("prodready")
    }
    assert prodready.__all__ == sorted(prodready.__all__)
    assert set(prodready.__all__) == public
