"""A self-contained static HTML leaderboard page (no CDN, no script: it opens offline).

Plots are drawn with matplotlib and embedded as base64 PNG; every user-supplied
string (teacher names, env ids and kwargs, errors) goes through ``html.escape``.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
from collections import defaultdict
from pathlib import Path

import numpy as np

from teachgym.leaderboard.report import leaderboard
from teachgym.leaderboard.store import RunStore
from teachgym.leaderboard.suites import Suite

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid #ccc; padding: .3rem .6rem; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } h2 { margin-top: 2.5rem; } .note { color: #666; font-size: .9rem; }
"""


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(data: str, alt: str, css_class: str) -> str:
    return f'<img class="{css_class}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _ranking_plot(result) -> str:
    import matplotlib.pyplot as plt

    agg = result.aggregate
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(agg) + 1))
    y = np.arange(len(agg))[::-1]
    values = [a.iqm for a in agg]
    errors = np.array([[a.iqm - a.iqm_ci[0], a.iqm_ci[1] - a.iqm] for a in agg]).T
    ax.barh(y, values, xerr=errors, color="#4c78a8", capsize=3)
    ax.set_yticks(y, [a.teacher for a in agg])
    ax.axvline(0, color="#888", lw=0.8)
    ax.set_xlabel("normalised score (IQM, 95 % CI): random = 0, best known = 1")
    return _png(fig)


def _curves_plot(env: str, rows: list[dict]) -> str:
    import matplotlib.pyplot as plt

    by_teacher = defaultdict(list)
    for row in rows:
        if row["curve"]:
            by_teacher[row["teacher"]].append(np.asarray(row["curve"], dtype=np.float64))
    fig, ax = plt.subplots(figsize=(7, 4))
    for teacher, curves in sorted(by_teacher.items()):
        grid = np.unique(np.concatenate([c[:, 0] for c in curves]))
        values = np.array([np.interp(grid, c[:, 0], c[:, 1]) for c in curves])
        mean = values.mean(axis=0)
        line, = ax.plot(grid, mean, label=f"{teacher} (n={len(curves)})")
        if len(curves) > 1:
            low, high = np.percentile(values, [25, 75], axis=0)
            ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.15)
    ax.set_xlabel("teacher steps")
    ax.set_ylabel("headline score")
    ax.set_title(env, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return _png(fig)


def _sampling_plot(env: str, rows: list[dict]) -> str | None:
    """Where each teacher sampled over time (first two task dims, first seed), for continuous tasks."""
    import matplotlib.pyplot as plt

    firsts = {}
    for row in sorted(rows, key=lambda r: r["seed"]):
        tasks = row.get("tasks")
        if row["teacher"] not in firsts and tasks is not None and tasks.ndim == 2 and tasks.shape[1] >= 2:
            firsts[row["teacher"]] = tasks
    if not firsts:
        return None
    n = len(firsts)
    cols = min(n, 4)
    fig, axes = plt.subplots((n + cols - 1) // cols, cols, figsize=(3 * cols, 3 * ((n + cols - 1) // cols)),
                             squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, (teacher, tasks) in zip(axes.flat, sorted(firsts.items())):
        step = max(1, len(tasks) // 4000)  # thin long runs: the picture, not every point
        shown = tasks[::step]
        ax.scatter(shown[:, 0], shown[:, 1], c=np.arange(len(shown)), cmap="viridis", s=2)
        ax.set_title(teacher, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{env}: tasks sampled (colour = time, first seed)", fontsize=9)
    return _png(fig)


def write_html(store: RunStore, out_dir: str | Path, suite: Suite | None = None, title: str = "teachgym leaderboard") -> Path:
    """Write ``index.html`` (self-contained) into ``out_dir`` and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    result, failed = leaderboard(store, suite)
    esc = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{esc(title)}</h1>",
             f"<p class='note'>Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC from "
             f"{esc(str(store.path))}" + (f", suite <b>{esc(suite.name)}</b>" if suite else "") + ".</p>"]

    parts.append("<h2>Ranking</h2><p class='note'>Scores normalised per env (random teacher = 0, best known = 1), "
                 "interquartile mean over all runs, 95 % stratified bootstrap CI.</p>")
    parts.append("<table id='ranking'><thead><tr><th>rank</th><th>teacher</th><th>normalised IQM</th><th>95 % CI</th>"
                 "<th>envs</th></tr></thead><tbody>")
    for rank, agg in enumerate(result.aggregate, start=1):
        parts.append(f"<tr><td class='num'>{rank}</td><td class='teacher'>{esc(agg.teacher)}</td>"
                     f"<td class='num'>{agg.iqm:.3f}</td><td class='num'>[{agg.iqm_ci[0]:.3f}, {agg.iqm_ci[1]:.3f}]</td>"
                     f"<td class='num'>{agg.n_envs}</td></tr>")
    parts.append("</tbody></table>")
    if result.aggregate:
        parts.append(_img(_ranking_plot(result), "ranking of teachers", "plot ranking"))
    for env, why in result.skipped.items():
        parts.append(f"<p class='note'>Not in the ranking: {esc(env)}: {esc(why)}</p>")

    rows_by_env = defaultdict(list)
    labels = [e.label for e in suite.envs] if suite else None
    for row in store.rows(labels, with_arrays=True):
        if row["status"] == "ok":
            rows_by_env[row["env_label"]].append(row)
    for env, teachers in result.per_env.items():
        parts.append(f"<h2>{esc(env)}</h2><table class='env'><thead><tr><th>teacher</th><th>IQM</th><th>95 % CI</th>"
                     "<th>mean</th><th>runs</th></tr></thead><tbody>")
        for s in sorted(teachers.values(), key=lambda s: -s.iqm):
            parts.append(f"<tr><td class='teacher'>{esc(s.teacher)}</td><td class='num'>{s.iqm:.2f}</td>"
                         f"<td class='num'>[{s.iqm_ci[0]:.2f}, {s.iqm_ci[1]:.2f}]</td><td class='num'>{s.mean:.2f}</td>"
                         f"<td class='num'>{s.n}</td></tr>")
        parts.append("</tbody></table>")
        parts.append(_img(_curves_plot(env, rows_by_env[env]), f"learning curves on {env}", "plot curves"))
        sampling = _sampling_plot(env, rows_by_env[env])
        if sampling:
            parts.append(_img(sampling, f"tasks sampled on {env}", "plot sampling"))

    if failed:
        parts.append("<h2>Failed runs</h2><table><thead><tr><th>env</th><th>teacher</th><th>seed</th><th>error</th></tr>"
                     "</thead><tbody>")
        for row in failed:
            last = (row["error"] or "").strip().splitlines()[-1:] or [""]
            parts.append(f"<tr><td>{esc(row['env_label'])}</td><td>{esc(row['teacher'])}</td><td>{row['seed']}</td>"
                         f"<td><code>{esc(last[0])}</code></td></tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return page
