"""Every exception prodready raises on purpose.

Messages are whole sentences that name the variable, say what was expected and
how to fix it. They never contain the value of a secret.
"""

from __future__ import annotations

from dataclasses import dataclass


class ProdreadyError(Exception):
    """Base class of prodready's ordinary exceptions."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the configuration.

    Attributes:
        variable: The environment variable at fault, e.g. ``DB_POOL_MAX_SIZE``.
        message: A sentence saying what is wrong and how to fix it; never a secret.
    """

    variable: str
    message: str

    def __str__(self) -> str:
        return f"{self.variable}: {self.message}"


class ConfigurationError(SystemExit):
    """The environment does not describe a valid profile.

    It derives from ``SystemExit`` on purpose: raised while Django imports
    ``settings.py`` (under uvicorn, ``django-admin`` or a test runner) it ends
    the process with exit status 1 and prints one line per problem instead of
    a traceback, so nothing starts on bad configuration. Catch it by name
    where you want to handle it (``prodready check`` does).

    Attributes:
        problems: Every problem found, in a stable order.
        profile: The profile name the problems were found in.
    """

    def __init__(self, problems: list[Problem], profile: str) -> None:
        self.problems = list(problems)
        self.profile = profile
        super().__init__(self.render())

    def render(self) -> str:
        """Return the problems as readable lines, one per problem."""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"prodready: the {self.profile} configuration has {count} {noun}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        from prodready.masking import mask

        return mask("\n".join(lines))  # a known secret quoted by a message is masked too

    def __str__(self) -> str:
        return self.render()
