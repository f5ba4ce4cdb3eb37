"""prodready: a production-ready Django from twelve-factor configuration."""

from __future__ import annotations

from prodready.exceptions import ConfigurationError, Problem, ProdreadyError
from prodready.settings.loader import load_profile
from prodready.settings.profiles import Profile

__all__ = ["ConfigurationError", "Problem", "ProdreadyError", "Profile", "load_profile"]
__version__ = "0.1.0"
