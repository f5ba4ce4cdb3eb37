"""Variables that look like prodready's but are not: a warning, with a suggestion.

``RATELIMIT_RULE=...`` or ``DB_POOL_MAX_SIZ=9`` would otherwise be ignored in
silence. In ``.env`` and ``config_profiles/<profile>.env`` every unknown name
is reported (those files are prodready's); in the process environment, only
names with one of prodready's own prefixes, or close to one of its names
(other software has its variables there too).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from prodready.exceptions import Problem
from prodready.settings.sources import Collected

#: Prefixes of prodready's variables that other software rarely uses.
OWN_PREFIXES = ("RATELIMIT_", "HEALTH_", "DB_POOL_", "DB_STATEMENT", "DB_CONNECT", "ASGI_")
#: Variables prodready reads that are not profile fields.
META_VARIABLES = frozenset(
    {"APP_PROFILE", "PRODREADY_BASE_DIR", "PRODREADY_SECRETS_DIR", "PRODREADY_PROFILE_MODEL"}
)


def unknown_variables(
    collected: Collected, known: Iterable[str], reported: Iterable[str] = ()
) -> list[Problem]:
    """Return one warning per unknown variable that looks like prodready's.

    Args:
        collected: What the sources set.
        known: The variables the profile reads.
        reported: Names already reported as problems (not warned about twice).
    """
    names = set(known)
    skip = names | META_VARIABLES | set(reported) | {f"{name}_FILE" for name in names}
    warnings: list[Problem] = []
    for label, seen in collected.seen.items():
        in_file = label != "environment"
        for name in sorted(seen - skip):
            close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.8)
            if not (in_file or close or name.startswith(OWN_PREFIXES)):
                continue
            hint = f"; did you mean {close[0]}?" if close else "; see prodready reference."
            warnings.append(
                Problem(name, f"is not a variable prodready reads (set in {label}){hint}")
            )
    return warnings
