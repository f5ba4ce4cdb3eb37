"""prodready: a production-ready Django from twelve-factor configuration.

The names below are imported on first use (PEP 562): ``import prodready`` and
its Django-free modules (``prodready.ratelimit.rules``, ``prodready.masking``,
``prodready.settings.sources``) load neither Django nor pydantic, so that tools
such as the load tests' locustfiles can use them against any deployment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prodready.exports import lazy_exports

if TYPE_CHECKING:
    from prodready.exceptions import ConfigurationError, Problem, ProdreadyError
    from prodready.settings.loader import load_profile
    from prodready.settings.profiles import Profile, variable

__all__ = [
    "ConfigurationError",
    "Problem",
    "ProdreadyError",
    "Profile",
    "load_profile",
    "variable",
]
__version__ = "0.1.0"

__getattr__ = lazy_exports(
    __name__,
    {
        "ConfigurationError": "prodready.exceptions",
        "Problem": "prodready.exceptions",
        "ProdreadyError": "prodready.exceptions",
        "load_profile": "prodready.settings.loader",
        "Profile": "prodready.settings.profiles",
        "variable": "prodready.settings.profiles",
    },
)
