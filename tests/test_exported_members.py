"""The public API is explicit, sorted and complete, and importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

import prodready
import prodready.ratelimit


def test_all_is_sorted_and_every_name_resolves() -> None:
    for package in (prodready, prodready.ratelimit):
        assert package.__all__ == sorted(package.__all__)
        for name in package.__all__:
            value = getattr(package, name)
            assert value.__module__.startswith("prodready"), name


def test_the_names_come_from_the_modules_that_define_them() -> None:
    from prodready.exceptions import ConfigurationError, Problem, ProdreadyError
    from prodready.settings.loader import load_profile
    from prodready.settings.profiles import Profile

    assert prodready.ConfigurationError is ConfigurationError
    assert prodready.Problem is Problem
    assert prodready.ProdreadyError is ProdreadyError
    assert prodready.load_profile is load_profile
    assert prodready.Profile is Profile


def test_django_free_modules_import_without_django() -> None:
    # What the locustfiles use: no Django, no pydantic, loaded against any deployment.
    code = (
        "import sys, prodready, prodready.ratelimit.rules, prodready.masking, "
        "prodready.settings.sources; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'pydantic'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
