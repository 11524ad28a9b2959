"""A self-contained static HTML leaderboard page (no CDN, no script: it opens offline).

One section per env family; in it, each ranking (table, ranking plot, probability-of-improvement
matrix, performance profiles), then each env (per-seed scores, learning curves, tasks sampled).
Plots (:mod:`teachgym.leaderboard.plots`) are embedded as base64 PNG; every user-supplied string
(teacher names, env ids and kwargs, errors) goes through ``html.escape``.
"""

from __future__ import annotations

import datetime
import html
from collections import defaultdict
from pathlib import Path

from teachgym.leaderboard import plots
from teachgym.leaderboard.report import LEGEND, leaderboard, table_rows
from teachgym.leaderboard.store import RunStore
from teachgym.leaderboard.suites import Suite
from teachgym.leaderboard.tuning import TUNING_SEED_BASE

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 76rem; padding: 0 1rem; color: #222; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid #ccc; padding: .3rem .6rem; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
img { display: block; max-width: 100%; height: auto; margin: .8rem 0; }
h2 { margin-top: 3rem; border-bottom: 2px solid #ddd; } h3 { margin-top: 2rem; } h4 { margin-top: 1.6rem; }
.note { color: #555; font-size: .9rem; } code { overflow-wrap: anywhere; }
"""


def _img(data: str, alt: str, css_class: str) -> str:
    return f'<img class="plot {css_class}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _task_names(env_id: str, kwargs: dict) -> list[str] | None:
    """The task-dimension names of a fast env's lesson space (None for slower envs or on any error)."""
    try:
        import gymnasium as gym

        from teachgym.registry import env_meta

        if env_meta(env_id).cost != "fast":
            return None
        env = gym.make(env_id, **kwargs)
        try:
            return list(getattr(env.unwrapped.lessons, "names", ()) or ()) or None
        finally:
            env.close()
    except Exception:  # noqa: BLE001 - names only label axes: without them the axes read task[i]
        return None


def write_html(store: RunStore, out_dir: str | Path, suite: Suite | None = None, title: str = "teachgym leaderboard",
               track: str = "defaults", tuning=None) -> Path:
    """Write ``index.html`` (self-contained) into ``out_dir`` and return its path.

    Args:
        track: ``"defaults"`` or ``"tuned"`` (needs ``tuning``, the suite's
            :class:`~teachgym.leaderboard.tuning.TuningPlan`).
    """
    result, failed = leaderboard(store, suite, track, tuning)
    esc = html.escape
    stamp = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
    versions = ", ".join(f"<code>{esc(v)}</code> ({n} runs)" for v, n in sorted(result.code_versions.items()))
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{esc(title)}</h1>",
             f"<p class='note'>Generated {stamp} from {esc(str(store.path))}"
             + (f", suite <b>{esc(suite.name)}</b> (hash <code>{suite.hash}</code>)" if suite else "") + ".</p>",
             f"<p class='note' id='code-versions'>Code version of the runs: {versions or 'none'}.</p>",
             f"<p class='note'>Track: <b>{esc(track)}</b>" + ("".join(
                 f"<br>{esc(result.title(env))}: {esc(teacher)} → <code>{esc(config)}</code>"
                 for (env, teacher), config in sorted(result.chosen.items()))) + "</p>",
             f"<p class='note'>{esc(LEGEND)}</p>"]
    entries = {e.label: e for e in suite.envs} if suite else {}
    rows_by_env = defaultdict(list)  # the runs behind the track's numbers: evaluation seeds, shown teachers
    rename = {(env, config): teacher for (env, teacher), config in result.chosen.items()}
    for row in store.rows([e.label for e in suite.envs] if suite else None, with_arrays=True):
        if row["status"] != "ok" or row["seed"] >= TUNING_SEED_BASE:
            continue
        if track == "tuned":
            if (row["env_label"], row["teacher"]) not in rename:
                continue
            row["teacher"] = rename[(row["env_label"], row["teacher"])]
        elif row["teacher"] not in result.per_env.get(row["env_label"], {}):
            continue
        rows_by_env[row["env_label"]].append(row)

    by_family = defaultdict(list)
    for ranking in result.rankings:
        by_family[ranking.family].append(ranking)
    for f_index, (family, rankings) in enumerate(by_family.items()):
        parts.append(f"<section class='family' id='family-{f_index}'><h2>Family: {esc(family)}</h2>")
        for ranking in rankings:
            parts += _ranking_section(result, ranking, entries, rows_by_env)
        parts.append("</section>")

    if failed:
        parts.append("<h2>Failed runs</h2><div class='scroll'><table><thead><tr><th>env</th><th>teacher</th><th>seed</th>"
                     "<th>error</th></tr></thead><tbody>")
        for row in failed:
            last = (row["error"] or "").strip().splitlines()[-1:] or [""]
            parts.append(f"<tr><td>{esc(row['env_label'])}</td><td>{esc(row['teacher'])}</td><td>{row['seed']}</td>"
                         f"<td><code>{esc(last[0])}</code></td></tr>")
        parts.append("</tbody></table></div>")
    parts.append("</body></html>")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return page


def _ranking_section(result, ranking, entries, rows_by_env) -> list[str]:
    esc = html.escape
    names = {env: result.title(env) for env in ranking.envs}
    parts = [f"<h3>Ranking: {esc(ranking.name)}</h3>",
             f"<p class='note'>{len(ranking.envs)} env(s): " + "; ".join(esc(names[e]) for e in ranking.envs) + "</p>",
             "<div class='scroll'><table class='ranking'><thead><tr><th>rank</th><th>teacher</th>"
             f"<th>normalised IQM [95 % CI]</th><th>P(&gt; {esc(result.baseline)}) [95 % CI]</th>"
             + "".join(f"<th>{esc(names[e])}</th>" for e in ranking.envs) + "</tr></thead><tbody>"]
    for cells in table_rows(result, ranking):
        rank, teacher, *rest = cells
        parts.append(f"<tr><td>{esc(rank)}</td><td class='teacher'>{esc(teacher)}</td>"
                     + "".join(f"<td class='num'>{esc(c)}</td>" for c in rest) + "</tr>")
    parts.append("</tbody></table></div>")
    for env, why in ranking.skipped.items():
        parts.append(f"<p class='note'>Not in the aggregate: {esc(names[env])}: {esc(why)}</p>")
    if any(r.iqm == r.iqm for r in ranking.rows):  # some finite aggregate
        parts.append(_img(plots.png_base64(plots.ranking_figure(ranking)), f"ranking {ranking.name}", "ranking"))
        parts.append(_img(plots.png_base64(plots.profiles_figure(ranking)), f"performance profiles {ranking.name}",
                          "profiles"))
    if len(ranking.rows) > 1:
        parts.append(_img(plots.png_base64(plots.improvement_figure(ranking, result.baseline)),
                          f"probability of improvement {ranking.name}", "improvement"))
    for env in ranking.envs:
        entry = entries.get(env)
        parts.append(f"<h4>{esc(names[env])}</h4>")
        if entry is not None and entry.description:
            parts.append(f"<p class='note'>{esc(entry.description)}</p>")
        if entry is not None and entry.profile:
            parts.append(f"<p class='note'><code>{esc(env)}</code></p>")
        per_teacher = result.per_env.get(env, {})
        if per_teacher:
            parts.append(_img(plots.png_base64(plots.seeds_figure(names[env], per_teacher)), f"scores per seed on {env}",
                              "seeds"))
        env_rows = rows_by_env.get(env, [])
        if env_rows:
            parts.append(_img(plots.png_base64(plots.curves_figure(names[env], env_rows)), f"learning curves on {env}",
                              "curves"))
            task_names = _task_names(env_rows[0]["env_id"], env_rows[0]["env_kwargs"])
            sampling = plots.curriculum_figure(names[env], env_rows, task_names)
            if sampling is not None:
                parts.append(_img(plots.png_base64(sampling), f"tasks sampled on {env}", "sampling"))
    return parts
