"""The plots of a set of runs: learning curves and curricula (what each teacher chose over time).

Shared by the leaderboard's HTML page and ``teachgym run / compare --plot``. Each
function takes run rows (dicts with ``teacher``, ``seed``, ``curve`` and, for the
curriculum plot, ``tasks``) and returns a matplotlib figure; matplotlib is
imported only here, with the Agg backend.
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png_bytes(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def png_base64(fig) -> str:
    """The figure as base64 PNG (for ``data:`` URIs); the figure is closed."""
    return base64.b64encode(png_bytes(fig)).decode("ascii")


def save_png(fig, path: str | Path) -> Path:
    """Write the figure to ``path`` (folders created); the figure is closed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(fig))
    return path


def ranking_figure(result):
    """Normalised IQM per teacher with its 95 % CI (a leaderboard result)."""
    plt = _pyplot()
    agg = result.aggregate
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(agg) + 1))
    y = np.arange(len(agg))[::-1]
    values = [a.iqm for a in agg]
    errors = np.array([[a.iqm - a.iqm_ci[0], a.iqm_ci[1] - a.iqm] for a in agg]).T
    ax.barh(y, values, xerr=errors, color="#4c78a8", capsize=3)
    ax.set_yticks(y, [a.teacher for a in agg])
    ax.axvline(0, color="#888", lw=0.8)
    ax.set_xlabel("normalised score (IQM, 95 % CI): random = 0, best known = 1")
    return fig


def curves_figure(env: str, rows: list[dict]):
    """Headline score against teacher steps: mean per teacher, interquartile band over seeds."""
    plt = _pyplot()
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
    return fig


def curriculum_figure(env: str, rows: list[dict]):
    """Where each teacher sampled over time (first seed): the first two task dimensions, or a
    one-dimensional task against the step; None when no row has numeric tasks."""
    plt = _pyplot()
    firsts = {}
    for row in sorted(rows, key=lambda r: r["seed"]):
        tasks = row.get("tasks")
        if row["teacher"] in firsts or tasks is None or tasks.ndim not in (1, 2) or len(tasks) == 0:
            continue
        if tasks.ndim == 2 and tasks.shape[1] == 1:
            tasks = tasks[:, 0]
        if tasks.ndim == 1 or tasks.shape[1] >= 2:
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
        time = np.arange(len(shown)) * step
        if shown.ndim == 1:
            ax.scatter(time, shown, c=time, cmap="viridis", s=2)
            ax.set_xlabel("step", fontsize=7)
        else:
            ax.scatter(shown[:, 0], shown[:, 1], c=time, cmap="viridis", s=2)
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_title(teacher, fontsize=9)
    fig.suptitle(f"{env}: tasks sampled (colour = time, first seed)", fontsize=9)
    return fig
