"""Leaderboard outputs: terminal table, Markdown, CSV and JSON, from a RunStore.

Teacher names and env labels come from the user (``pkg.mod:Class``, spec
strings, suite files), so they are escaped for each format: in CSV a cell that
starts with ``= + - @``, a tab or a carriage return would be a spreadsheet
formula and gets a leading ``'``; in Markdown, link and emphasis syntax is
backslash-escaped and ``<`` ``>`` become entities, so that no link, image or tag survives.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path

from teachgym.leaderboard.stats import LeaderboardStats, compute
from teachgym.leaderboard.store import RunStore
from teachgym.leaderboard.suites import Suite

README_START = "<!-- leaderboard:start -->"
README_END = "<!-- leaderboard:end -->"


def collect(store: RunStore, suite: Suite | None = None) -> tuple[dict, dict, list[dict]]:
    """``scores[env][teacher]``, ``best_known[env]`` and the failed rows, for the suite's envs (or all)."""
    labels = [e.label for e in suite.envs] if suite else None
    best_known = {e.label: e.best_known for e in suite.envs} if suite else {}
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    failed = []
    for row in store.rows(labels):
        if row["status"] == "ok":
            scores[row["env_label"]][row["teacher"]].append(row["score"])
        else:
            failed.append(row)
    return scores, best_known, failed


def leaderboard(store: RunStore, suite: Suite | None = None) -> tuple[LeaderboardStats, list[dict]]:
    scores, best_known, failed = collect(store, suite)
    return compute(scores, best_known), failed


def _ci(ci: tuple[float, float], digits: int = 2) -> str:
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def ranked_rows(result: LeaderboardStats) -> list[dict]:
    """One row per teacher, best first: normalised IQM with CI, and per-env IQM."""
    rows = []
    for rank, agg in enumerate(result.aggregate, start=1):
        row = {"rank": rank, "teacher": agg.teacher, "norm_iqm": agg.iqm, "norm_iqm_ci": list(agg.iqm_ci),
               "norm_mean": agg.mean, "envs": agg.n_envs}
        for env, teachers in result.per_env.items():
            if agg.teacher in teachers:
                row[env] = teachers[agg.teacher].iqm
        rows.append(row)
    return rows


def to_text(result: LeaderboardStats, failed: list[dict]) -> str:
    """A fixed-width terminal table: the ranking, then one table per env."""
    lines = ["Ranking (scores normalised per env: random = 0, best known = 1; IQM, 95 % stratified bootstrap CI)", ""]
    width = max([len(a.teacher) for a in result.aggregate] + [7])
    lines.append(f"{'rank':>4}  {'teacher':<{width}}  {'norm. IQM':>9}  {'95% CI':<16}  {'envs':>4}")
    for rank, agg in enumerate(result.aggregate, start=1):
        lines.append(f"{rank:>4}  {agg.teacher:<{width}}  {agg.iqm:>9.3f}  {_ci(agg.iqm_ci, 3):<16}  {agg.n_envs:>4}")
    for env, teachers in result.per_env.items():
        lines += ["", f"{env}  (score: IQM [95 % CI], mean, runs)"]
        for t in sorted(teachers.values(), key=lambda s: -s.iqm):
            lines.append(f"    {t.teacher:<{width}}  {t.iqm:8.2f} {_ci(t.iqm_ci):<18} mean {t.mean:8.2f}  n={t.n}")
    for env, why in result.skipped.items():
        lines.append(f"\nnot in the ranking: {env}: {why}")
    if failed:
        lines.append(f"\n{len(failed)} failed run(s); see `teachgym leaderboard show --format json` for tracebacks")
    return "\n".join(lines)


def to_markdown(result: LeaderboardStats, failed: list[dict]) -> str:
    envs = list(result.per_env)
    head = "| rank | teacher | normalised IQM [95 % CI] | " + " | ".join(_md_code(e) for e in envs) + " |"
    lines = [head, "|" + "---|" * (3 + len(envs))]
    for rank, agg in enumerate(result.aggregate, start=1):
        cells = []
        for env in envs:
            s = result.per_env[env].get(agg.teacher)
            cells.append(f"{s.iqm:.1f} {_ci(s.iqm_ci, 1)}" if s else "—")
        lines.append(f"| {rank} | {_md(agg.teacher)} | {agg.iqm:.3f} {_ci(agg.iqm_ci, 3)} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Per-env cells: IQM of the headline score over seeds [95 % bootstrap CI]. "
                 + (f"{len(failed)} failed run(s)." if failed else "No failed runs."))
    return "\n".join(lines)


def to_csv(result: LeaderboardStats) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["env", "teacher", "n", "mean", "iqm", "iqm_ci_low", "iqm_ci_high", "mean_ci_low", "mean_ci_high"])
    for env, teachers in result.per_env.items():
        for t in teachers.values():
            writer.writerow([_csv_text(env), _csv_text(t.teacher), t.n, t.mean, t.iqm, *t.iqm_ci, *t.mean_ci])
    return out.getvalue()


def to_json(result: LeaderboardStats, failed: list[dict]) -> str:
    return json.dumps({
        "ranking": ranked_rows(result),
        "per_env": {env: {t: vars(s) for t, s in teachers.items()} for env, teachers in result.per_env.items()},
        "probability_of_improvement": [{"a": a, "b": b, "p": p} for (a, b), p in result.improvement.items()],
        "normalisers": {env: {"random": lo, "best": hi} for env, (lo, hi) in result.normalisers.items()},
        "skipped": result.skipped,
        "failed": [{k: r[k] for k in ("env_label", "teacher", "seed", "error")} for r in failed],
    }, indent=2)


def update_readme(path: str | Path, markdown: str, command: str) -> None:
    """Replace the text between the README's leaderboard markers with ``markdown``."""
    path = Path(path)
    text = path.read_text()
    if README_START not in text or README_END not in text:
        raise ValueError(f"{path} has no {README_START} ... {README_END} markers")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    block = f"{README_START}\n_Generated by `{command}`._\n\n{markdown}\n{README_END}"
    path.write_text(head + block + tail)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|&~^$])")
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _md(text: str) -> str:
    """``text`` as literal Markdown text: special characters backslash-escaped, line breaks as spaces."""
    escaped = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


def _md_code(text: str) -> str:
    """``text`` as a code span when it can be one (no backtick, pipe or line break), else as escaped text."""
    text = str(text)
    return f"`{text}`" if re.fullmatch(r"[^`|\r\n]+", text) else _md(text)


def _csv_text(text: str) -> str:
    """A user-given name as a CSV cell that no spreadsheet reads as a formula."""
    text = str(text)
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text
