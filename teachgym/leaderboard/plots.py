"""The plots of a set of runs: rankings, improvement matrices, performance profiles, per-seed scores,
learning curves and curricula (what each teacher chose over time).

Shared by the leaderboard's HTML page and ``teachgym run / compare --plot``. Each function
returns a matplotlib figure (matplotlib is imported only here, with the Agg backend). Every
figure uses a constrained layout and keeps its legend outside the axes, so no text overlaps.
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from pathlib import Path

import numpy as np

ROLE_COLOURS = {"ranked": "#4c78a8", "baseline": "#9d9d9d", "privileged": "#e0a030"}


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


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def ranking_figure(ranking):
    """Normalised IQM per row of a ranking with its 95 % CI: ranked teachers blue, references grey/orange."""
    plt = _pyplot()
    rows = [r for r in ranking.rows if np.isfinite(r.iqm)]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.2), layout="constrained")
    y = np.arange(len(rows))[::-1]
    errors = np.array([[r.iqm - r.iqm_ci[0], r.iqm_ci[1] - r.iqm] for r in rows]).T.reshape(2, -1)
    ax.barh(y, [r.iqm for r in rows], xerr=errors, color=[ROLE_COLOURS[r.role] for r in rows], capsize=3)
    labels = [f"{r.rank}. {_short(r.teacher)}" if r.rank else f"{_short(r.teacher)} ({r.role})" for r in rows]
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="#888", lw=0.8)
    ax.set_xlabel("normalised score (IQM, 95 % CI): random = 0, best known = 1")
    return fig


def improvement_figure(ranking, baseline: str = "random"):
    """The probability-of-improvement matrix: cell (row, column) = P(row's run > column's run)."""
    plt = _pyplot()
    names = [r.teacher for r in ranking.rows]
    k = len(names)
    matrix = np.full((k, k), np.nan)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if (a, b) in ranking.improvement:
                matrix[i, j] = ranking.improvement[(a, b)][0]
    size = 0.55 * k + 2.0
    fig, ax = plt.subplots(figsize=(size + 1.2, size), layout="constrained")
    image = ax.imshow(matrix, vmin=0.0, vmax=1.0, cmap="RdBu")
    for i in range(k):
        for j in range(k):
            if np.isfinite(matrix[i, j]):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if abs(matrix[i, j] - 0.5) > 0.3 else "black")
    ax.set_xticks(range(k), [_short(n, 18) for n in names], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(k), [_short(n, 18) for n in names], fontsize=7)
    ax.set_xlabel("teacher Y")
    ax.set_ylabel("teacher X")
    fig.colorbar(image, ax=ax, label="P(X > Y): a run of X beats a run of Y", shrink=0.8)
    return fig


def profiles_figure(ranking):
    """Performance profiles: the fraction of runs above each normalised score, with 95 % CI bands."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 4), layout="constrained")
    for row in ranking.rows:
        if row.teacher not in ranking.profiles:
            continue
        taus, fraction, low, high = ranking.profiles[row.teacher]
        style = "-" if row.role == "ranked" else "--"
        line, = ax.plot(taus, fraction, style, label=_short(row.teacher) + ("" if row.role == "ranked" else f" ({row.role})"))
        ax.fill_between(taus, low, high, color=line.get_color(), alpha=0.12)
    ax.set_xlabel("normalised score τ (random = 0, best known = 1)")
    ax.set_ylabel("fraction of runs with score > τ")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def seeds_figure(env: str, per_teacher: dict, order: list[str] | None = None):
    """Every run's score (one point per seed) per teacher, with its IQM and 95 % CI."""
    plt = _pyplot()
    names = order or sorted(per_teacher, key=lambda t: -per_teacher[t].iqm)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(names) + 1.3), layout="constrained")
    jitter = np.random.default_rng(0)  # a fixed spread of the points, the same on every page
    for i, teacher in enumerate(names):
        s = per_teacher[teacher]
        y = len(names) - 1 - i
        ax.scatter(s.scores, y + jitter.uniform(-0.15, 0.15, len(s.scores)), s=9, color="#4c78a8", alpha=0.7,
                   zorder=2)
        ax.errorbar([s.iqm], [y], xerr=[[s.iqm - s.iqm_ci[0]], [s.iqm_ci[1] - s.iqm]], fmt="D", color="#d62728",
                    markersize=4, capsize=3, zorder=3)
    ax.set_yticks(range(len(names))[::-1], [_short(n) for n in names], fontsize=8)
    ax.set_xlabel("headline score per seed (points); IQM with 95 % CI (red)")
    ax.set_title(_short(env, 90), fontsize=9)
    return fig


def curves_figure(env: str, rows: list[dict]):
    """Headline score against teacher steps: mean per teacher, interquartile band over seeds."""
    plt = _pyplot()
    by_teacher = defaultdict(list)
    for row in rows:
        if row["curve"]:
            by_teacher[row["teacher"]].append(np.asarray(row["curve"], dtype=np.float64))
    fig, ax = plt.subplots(figsize=(8.5, 4), layout="constrained")
    for teacher, curves in sorted(by_teacher.items()):
        grid = np.unique(np.concatenate([c[:, 0] for c in curves]))
        values = np.array([np.interp(grid, c[:, 0], c[:, 1]) for c in curves])
        line, = ax.plot(grid, values.mean(axis=0), label=f"{_short(teacher)} (n={len(curves)})")
        if len(curves) > 1:
            low, high = np.percentile(values, [25, 75], axis=0)
            ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.15)
    ax.set_xlabel("teacher steps")
    ax.set_ylabel("headline score")
    ax.set_title(_short(env, 90), fontsize=9)
    if by_teacher:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def curriculum_figure(env: str, rows: list[dict], task_names: list[str] | None = None):
    """Where each teacher sampled over time (first seed): the first two task dimensions, or a
    one-dimensional task against the step; a colour bar gives the step. None when no row has numeric tasks."""
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
    names = list(task_names or [])
    label = lambda i: names[i] if i < len(names) else f"task[{i}]"  # noqa: E731
    n = len(firsts)
    cols = min(n, 4)
    n_rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(n_rows, cols, figsize=(3.2 * cols + 1.0, 3.0 * n_rows + 0.6), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[n:]:
        ax.axis("off")
    points = None
    longest = max(len(t) for t in firsts.values())
    for ax, (teacher, tasks) in zip(axes.flat, sorted(firsts.items())):
        step = max(1, len(tasks) // 4000)  # thin long runs: the picture, not every point
        shown = tasks[::step]
        time = np.arange(len(shown)) * step
        if shown.ndim == 1:
            points = ax.scatter(time, shown, c=time, cmap="viridis", vmin=0, vmax=longest, s=2)
            ax.set_xlabel("teacher step", fontsize=7)
            ax.set_ylabel(label(0), fontsize=7)
        else:
            points = ax.scatter(shown[:, 0], shown[:, 1], c=time, cmap="viridis", vmin=0, vmax=longest, s=2)
            ax.set_xlabel(label(0), fontsize=7)
            ax.set_ylabel(label(1), fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_title(_short(teacher, 30), fontsize=8)
    fig.colorbar(points, ax=axes, label="teacher step (time)", shrink=0.8)
    fig.suptitle(f"{_short(env, 90)}: tasks sampled (first seed)", fontsize=9)
    return fig
