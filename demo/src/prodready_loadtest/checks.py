"""A load-test check's outcome, the one line it prints, and the file that carries them.

The locustfiles print one line per check::

    CHECK reuse.connections_opened: 0 opened after warm-up (bound = 0) PASS
    CHECK ratelimit.ip_onset: 1100 admitted, 0 refused (bound exactly 1000 admitted) FAIL: ...

and write the same, with the figures behind them, as JSON for ``prodready
loadtest`` to build its report from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_LINE = re.compile(
    r"^CHECK (?P<name>[\w.]+): (?P<measured>.*) \(bound (?P<bound>.*)\) (?P<verdict>PASS|FAIL)"
    r"(?:: (?P<detail>.*))?$"
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: what was measured, the bound it is held to, and whether it held.

    Attributes:
        name: ``<scenario>.<what>``, e.g. ``reuse.max_backends``.
        passed: Whether the measurement is within the bound.
        measured: The measured figure, in words, e.g. ``7 backends at most``.
        bound: The bound, in words, e.g. ``≤ 8 (WEB_CONCURRENCY 2 × DB_POOL_MAX_SIZE 4)``.
        detail: For a failure, why it matters and what to look at.
        value: The measured figure as a number, for reports.
    """

    name: str
    passed: bool
    measured: str
    bound: str
    detail: str = ""
    value: float | None = None

    def line(self) -> str:
        """Return the ``CHECK name: measured (bound b) PASS|FAIL[: detail]`` line."""
        text = f"CHECK {self.name}: {self.measured} (bound {self.bound}) "
        text += "PASS" if self.passed else "FAIL"
        if self.detail and not self.passed:
            text += f": {self.detail}"
        return text

    @classmethod
    def parse(cls, line: str) -> CheckResult | None:
        """Read a line printed by :meth:`line`; None when the line is something else."""
        match = _LINE.match(line.strip())
        if match is None:
            return None
        return cls(
            name=match["name"],
            passed=match["verdict"] == "PASS",
            measured=match["measured"],
            bound=match["bound"],
            detail=match["detail"] or "",
        )


@dataclass(slots=True)
class Outcome:
    """Every check of one Locust run, and the figures the report needs."""

    checks: list[CheckResult] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Tell whether every check passed."""
        return all(check.passed for check in self.checks)

    def get(self, name: str) -> CheckResult | None:
        """Return the check called ``name``, if it ran."""
        return next((check for check in self.checks if check.name == name), None)

    def write(self, path: Path) -> None:
        """Write the outcome as JSON to ``path``."""
        data = {"checks": [asdict(check) for check in self.checks], "metrics": self.metrics}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Outcome:
        """Read an outcome written by :meth:`write`."""
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            checks=[CheckResult(**check) for check in data.get("checks", [])],
            metrics={str(k): float(v) for k, v in data.get("metrics", {}).items()},
        )

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Outcome:
        """Collect the ``CHECK`` lines among ``lines`` (e.g. Locust's output)."""
        return cls(checks=[c for line in lines if (c := CheckResult.parse(line)) is not None])


def merged(outcomes: Mapping[str, Outcome]) -> Outcome:
    """Return one outcome holding every check and metric of ``outcomes`` (by scenario)."""
    total = Outcome()
    for scenario, outcome in outcomes.items():
        total.checks += outcome.checks
        total.metrics.update({f"{scenario}.{k}": v for k, v in outcome.metrics.items()})
    return total
