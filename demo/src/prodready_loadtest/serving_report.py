"""The serving comparison in words: progress lines, the summary it prints, its Markdown section.

The section lives in docs/performance.md between :data:`BEGIN` and
:data:`END`; :func:`with_serving_block` puts it there (after the
``## Targets`` section when the markers are missing), and
:func:`prodready_loadtest.report.render` keeps it when it rewrites the page.
"""

from __future__ import annotations

from pathlib import Path

from prodready_loadtest.serving_results import (
    APPS,
    SERVERS,
    Figure,
    Measurement,
    ServingRun,
    figure_text,
    ratio_text,
    server,
    targets,
)

BEGIN = "<!-- serving:begin -->"
END = "<!-- serving:end -->"
SECTION = "## Serving: prodready ASGI against gunicorn and Django's ASGI handler"
PLACEHOLDER = "(Not measured yet: run `uv run python -m prodready_loadtest.serving --write`.)"


def serving_block(page: str) -> str | None:
    """Return what ``page`` holds between the markers (without them), or None if it has none."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        return None
    return page[start + len(BEGIN) : end].strip("\n")


def serving_block_in(path: Path | None) -> str | None:
    """Return the block of the page at ``path``, or None (no path, no page, no markers)."""
    if path is None:
        return None
    try:
        return serving_block(path.read_text(encoding="utf-8"))
    except OSError:
        return None


def section_lines(block: str | None) -> list[str]:
    """Return the section: its heading, then ``block`` (or the placeholder) between the markers."""
    return [SECTION, "", BEGIN, block or PLACEHOLDER, END, ""]


def with_serving_block(page: str, block: str) -> str:
    """Return ``page`` with ``block`` between the markers.

    Without the markers, the section is added after the ``## Targets``
    section (at the end of a page that has none).
    """
    if serving_block(page) is not None:
        start, end = page.index(BEGIN), page.index(END)
        return f"{page[:start]}{BEGIN}\n{block}\n{page[end:]}"
    lines = page.rstrip("\n").splitlines()
    at = None  # the heading after the targets section's
    if "## Targets" in lines:
        after = lines.index("## Targets") + 1
        at = next((i for i in range(after, len(lines)) if lines[i].startswith("## ")), None)
    if at is None:
        lines += ["", *section_lines(block)] if lines else section_lines(block)
    else:
        lines[at:at] = section_lines(block)
    return "\n".join(lines).rstrip("\n") + "\n"


def measurement_text(measurement: Measurement) -> str:
    """Return one measurement's result: ``1234 req/s, p99 23.1 ms``, its failures or error."""
    result = measurement.result
    if result is None:
        reason = (measurement.error or "no result").strip().splitlines()
        return f"did not run: {reason[0] if reason else 'no result'}"
    text = f"{result.rps:.0f} req/s, p99 {result.p99_ms:.1f} ms"
    if result.errors:
        text += (
            f", {result.errors} of {result.requests} requests failed ({result.non_2xx} non-2xx, "
            f"{result.socket_errors} socket errors): not counted"
        )
    return text


def _cells(run: ServingRun, app: str, name: str, figure: Figure) -> tuple[str, str]:
    found = run.by_round(app, name, figure)
    every = ", ".join(figure_text(found.get(r), figure) for r in range(1, _rounds(run) + 1))
    return every, figure_text(run.median(app, name, figure), figure)


def _rounds(run: ServingRun) -> int:
    return max((m.round for m in run.measurements), default=0)


def summary_text(run: ServingRun) -> str:
    """Return the results as printed at the end: a table per app, the ratios, the targets."""
    lines = []
    width = max(len(s.label) for s in SERVERS)
    for app in APPS:
        lines += [
            "",
            f"GET {app.path}: {app.what}",
            f"  {'server':<{width}}  {'req/s by round':<22} {'median':>7}  "
            f"{'p99 ms by round':<22} {'median':>7}",
        ]
        for entry in SERVERS:
            rates, rate = _cells(run, app.name, entry.name, "rps")
            p99s, p99 = _cells(run, app.name, entry.name, "p99_ms")
            lines.append(f"  {entry.label:<{width}}  {rates:<22} {rate:>7}  {p99s:<22} {p99:>7}")
        for peer in SERVERS[1:]:
            rps = ratio_text(run.ratios(app.name, "prodready", peer.name))
            p99 = ratio_text(run.ratios(app.name, "prodready", peer.name, "p99_ms"))
            lines.append(f"  prodready / {peer.label}: req/s {rps}, p99 {p99}")
    failed = run.failed()
    if failed:
        lines += ["", f"{len(failed)} measurement(s) not counted:"]
        lines += [f"  round {m.round}, {m.app}, {m.server}: {measurement_text(m)}" for m in failed]
    lines.append("")
    for target in targets(run):
        verdict = "met" if target.met else "NOT met"
        lines.append(f"TARGET {target.name}: {target.measured} (wanted {target.wanted}) {verdict}")
    return "\n".join(lines).lstrip("\n")


def _method(run: ServingRun) -> list[str]:
    o = run.options
    servers = [f"- `{s.name}`: {s.label}, `{s.how}`" for s in SERVERS]
    apps = [f"- `GET {a.path}` (`DJANGO_SETTINGS_MODULE={a.settings}`): {a.what}" for a in APPS]
    return [
        f"**Method.** Three ways of serving the same project, each with {o.workers} worker "
        "process(es), started fresh for every measurement and stopped after it:",
        "",
        *servers,
        "",
        "Every server gets the same environment: the `staging` profile (DEBUG off) with a "
        "generated `SECRET_KEY`, `ALLOWED_HOSTS=127.0.0.1`, `SECURE_SSL_REDIRECT=false`; "
        f"PostgreSQL through Django's native pool (`DB_POOL_MODE=native`, "
        f"`DB_POOL_MIN_SIZE` = `DB_POOL_MAX_SIZE` = {o.pool_size}, so gunicorn runs "
        f"{o.pool_size} threads per worker), in a database of the run's own, migrated and "
        f"seeded with {o.items} items; rate limits counted in Redis under `{o.rules}` (a "
        "round trip on every request, never a refusal). The apps:",
        "",
        *apps,
        "",
        f"Load: `wrk -t{min(o.threads, o.connections)} -c{o.connections} -d{o.duration:g}s "
        f"--latency` after a {o.warmup:g} s warm-up at the same load (discarded). "
        f"{o.rounds} round(s); each measures every server on every app, the servers' order "
        "rotated from one round to the next. req/s and p99 are medians over the rounds; "
        "each ratio is taken within a round, and its median is given with its range. A "
        "measurement with failed requests (non-2xx answers, socket errors) is shown but "
        "counts in no median or ratio.",
    ]


def _machine(run: ServingRun) -> str:
    m = run.machine
    packages = ", ".join(f"{name} {version}" for name, version in m.packages.items())
    before = ", ".join(f"{x:.1f}" for x in m.load_before)
    after = ", ".join(f"{x:.1f}" for x in run.load_after) if run.load_after else "?"
    return (
        f"**Machine.** {m.cpus} CPUs, {m.machine}; load average {before} before and {after} "
        f"after the run (1, 5, 15 min). Python {m.python}, {packages}; PostgreSQL "
        f"{m.postgres}, Redis {m.redis}, wrk {run.wrk_version}. Commit `{m.commit}`, "
        f"{m.when}. wrk, PostgreSQL, Redis and the server share these CPUs, so absolute "
        "figures say little; compare the servers by their ratios."
    )


def _app_tables(run: ServingRun) -> list[str]:
    out = []
    for app in APPS:
        out += [
            f"**GET {app.path}**",
            "",
            "| server | req/s by round | median req/s | p99 ms by round | median p99 ms |",
            "|---|---|--:|---|--:|",
        ]
        for entry in SERVERS:
            rates, rate = _cells(run, app.name, entry.name, "rps")
            p99s, p99 = _cells(run, app.name, entry.name, "p99_ms")
            out.append(f"| {entry.label} | {rates} | {rate} | {p99s} | {p99} |")
        out += ["", "| prodready against | req/s ratio | p99 ratio |", "|---|---|---|"]
        for peer in SERVERS[1:]:
            rps = ratio_text(run.ratios(app.name, "prodready", peer.name))
            p99 = ratio_text(run.ratios(app.name, "prodready", peer.name, "p99_ms"))
            out.append(f"| {peer.label} | {rps} | {p99} |")
        out.append("")
    return out


def markdown(run: ServingRun) -> str:
    """Return the section's body (what goes between the markers)."""
    rows = [
        f"| {t.name} | {t.measured} | {t.wanted} | {'met' if t.met else '**NOT met**'} |"
        for t in targets(run)
    ]
    failed = [
        f"- round {m.round}, `GET {next(a.path for a in APPS if a.name == m.app)}`, "
        f"{server(m.server).label}: {measurement_text(m)}"
        for m in run.failed()
    ]
    out = [
        "Produced by one command, on the machine described below:",
        "",
        "```sh",
        run.command,
        "```",
        "",
        *_method(run),
        "",
        _machine(run),
        "",
        "| target | measured | wanted | verdict |",
        "|---|---|---|---|",
        *(rows or ["| (no figures) | - | - | - |"]),
        "",
        "![req/s and p99 per server and app, median and range over the rounds](serving.png)",
        "",
        *_app_tables(run),
    ]
    if failed:
        out += ["Not counted:", "", *failed, ""]
    return "\n".join(out).rstrip("\n")
