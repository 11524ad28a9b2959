"""A self-contained static HTML leaderboard page (no CDN, no script: it opens offline).

Plots (:mod:`teachgym.leaderboard.plots`) are embedded as base64 PNG; every user-supplied
string (teacher names, env ids and kwargs, errors) goes through ``html.escape``.
"""

from __future__ import annotations

import datetime
import html
from collections import defaultdict
from pathlib import Path

from teachgym.leaderboard.plots import curriculum_figure, curves_figure, png_base64, ranking_figure
from teachgym.leaderboard.report import leaderboard
from teachgym.leaderboard.store import RunStore
from teachgym.leaderboard.suites import Suite

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid #ccc; padding: .3rem .6rem; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } h2 { margin-top: 2.5rem; } .note { color: #666; font-size: .9rem; }
"""


def _img(data: str, alt: str, css_class: str) -> str:
    return f'<img class="{css_class}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def write_html(store: RunStore, out_dir: str | Path, suite: Suite | None = None, title: str = "teachgym leaderboard") -> Path:
    """Write ``index.html`` (self-contained) into ``out_dir`` and return its path."""
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
        parts.append(_img(png_base64(ranking_figure(result)), "ranking of teachers", "plot ranking"))
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
        parts.append(_img(png_base64(curves_figure(env, rows_by_env[env])), f"learning curves on {env}", "plot curves"))
        sampling = curriculum_figure(env, rows_by_env[env])
        if sampling is not None:
            parts.append(_img(png_base64(sampling), f"tasks sampled on {env}", "plot sampling"))

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
