"""Leaderboard outputs: terminal table, Markdown, CSV and JSON, from a RunStore.

The terminal and Markdown views carry the same content: for each ranking (one per env family
unless the suite groups envs otherwise), the ranked teachers with their normalised IQM, its CI
and P(teacher > random), then the reference rows (random, privileged teachers) and the teachers
not ranked there (with the envs they lack), each with its per-env IQM; then the code versions
of the runs. JSON adds the full probability-of-improvement matrices and performance profiles.

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
from dataclasses import dataclass, field
from pathlib import Path

from teachgym.leaderboard.rankings import LeaderboardStats, Ranking, compute
from teachgym.leaderboard.store import RunStore
from teachgym.leaderboard.suites import Suite
from teachgym.validation import ConfigError

README_START = "<!-- leaderboard:start -->"
README_END = "<!-- leaderboard:end -->"
ROLE_LABEL = {"baseline": "baseline", "privileged": "reference", "ranked": ""}


@dataclass
class Collected:
    """What a report needs from the store: scores, normalisation, grouping, failures, code versions."""

    scores: dict[str, dict[str, list[float]]]
    best_known: dict[str, float | None] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    families: dict[str, str] = field(default_factory=dict)
    privileged: set[str] = field(default_factory=set)
    failed: list[dict] = field(default_factory=list)
    code_versions: dict[str, int] = field(default_factory=dict)
    chosen: dict[tuple[str, str], str] = field(default_factory=dict)  # tuned track: (env, teacher) -> config
    missing: list[str] = field(default_factory=list)  # suite envs without any run yet


def env_family(env_id: str) -> str:
    """The registered family of ``env_id``, or ``"other"`` for an id teachgym does not register."""
    from teachgym.registry import UnknownNameError, env_meta

    try:
        return env_meta(env_id).family
    except UnknownNameError:
        return "other"


def is_privileged(teacher_spec: str) -> bool:
    """Whether the teacher of a spec string is registered or declared as privileged (False if unknown)."""
    from teachgym.leaderboard.sweep import parse_teacher_spec
    from teachgym.registry import teacher_meta

    try:
        return teacher_meta(parse_teacher_spec(teacher_spec)[0]).privileged
    except Exception:  # noqa: BLE001 - an unimportable or unknown teacher is not known to be privileged
        return False


def collect(store: RunStore, suite: Suite | None = None, track: str = "defaults", tuning=None) -> Collected:
    """Scores per env and teacher, with the suite's normalisation and grouping, for its envs (or all).

    Args:
        track: ``"defaults"``: the runs of each teacher spec on the evaluation seeds (tuning-seed runs
            and search-only configurations left out); ``"tuned"``: each teacher's chosen configuration
            (``tuning``, a :class:`~teachgym.leaderboard.tuning.TuningPlan`), shown under the teacher's name.
        tuning: the suite's tuning plan (needed for ``"tuned"``; for ``"defaults"`` it names the
            search-only configurations to leave out).
    """
    from teachgym.leaderboard.tuning import TUNING_SEED_BASE

    if track not in ("defaults", "tuned"):
        raise ConfigError(f"--track must be 'defaults' or 'tuned', got {track!r}")
    if track == "tuned" and tuning is None:
        raise ConfigError("the tuned track needs the suite's tuning plan")
    labels = [e.label for e in suite.envs] if suite else None
    out = Collected(defaultdict(lambda: defaultdict(list)))
    if suite:
        out.best_known = {e.label: e.best_known for e in suite.envs}
        out.groups = {e.label: e.ranking for e in suite.envs if e.ranking}
    search_only = tuning.search_only_specs() if tuning is not None else set()
    shown: dict[tuple[str, str], str] = {}
    if track == "tuned":
        out.chosen = tuning.chosen(store)
        shown = {(label, config): teacher for (label, teacher), config in out.chosen.items()}
    env_ids = {}
    for row in store.rows(labels):
        if row["seed"] >= TUNING_SEED_BASE:
            continue
        key = (row["env_label"], row["teacher"])
        if track == "tuned":
            if key not in shown:
                continue
            teacher = shown[key]
        elif row["teacher"] in search_only:
            continue
        else:
            teacher = row["teacher"]
        env_ids[row["env_label"]] = row["env_id"]
        version = row["code_version"] or "unknown"
        out.code_versions[version] = out.code_versions.get(version, 0) + 1
        if row["status"] == "ok":
            out.scores[row["env_label"]][teacher].append(row["score"])
        else:
            out.failed.append(row)
    if labels is not None:  # the suite's order; an env without runs yet is left out (for every teacher)
        out.scores = {label: out.scores[label] for label in labels if label in out.scores}
        out.missing = [label for label in labels if label not in out.scores]
    out.families = {label: env_family(env_id) for label, env_id in env_ids.items()}
    out.privileged = {t for teachers in out.scores.values() for t in teachers if is_privileged(t)}
    return out


def leaderboard(store: RunStore, suite: Suite | None = None, track: str = "defaults",
                tuning=None) -> tuple[LeaderboardStats, list[dict]]:
    """The statistics of the suite's runs in ``store`` (one track) and its failed rows."""
    data = collect(store, suite, track, tuning)
    result = compute(data.scores, data.best_known, groups=data.groups, families=data.families,
                     privileged=data.privileged)
    result.code_versions = data.code_versions
    result.track = track
    result.chosen = data.chosen
    result.titles = {e.label: e.title for e in suite.envs} if suite else {}
    result.skipped.update({label: "no runs yet" for label in data.missing})
    return result, data.failed


def _ci(ci, digits: int = 2) -> str:
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def _cell(result: LeaderboardStats, env: str, teacher: str) -> str:
    s = result.per_env[env].get(teacher)
    if s is None:
        return "missing"
    return f"{s.iqm:.1f} {_ci(s.iqm_ci, 1)}" + (" +" if s.beats_baseline else "")


def table_rows(result: LeaderboardStats, ranking: Ranking) -> list[list[str]]:
    """The rows of one ranking's table (strings), the same for the terminal and Markdown views:
    rank, teacher, normalised IQM [CI], P(teacher > baseline) [CI], one cell per env."""
    rows = []
    for agg in ranking.rows:
        rank = str(agg.rank) if agg.rank is not None else ROLE_LABEL[agg.role]
        vs = ranking.improvement.get((agg.teacher, result.baseline))
        rows.append([rank, agg.teacher, f"{agg.iqm:.3f} {_ci(agg.iqm_ci, 3)}",
                     "—" if vs is None else f"{vs[0]:.2f} {_ci(vs[1:], 2)}",
                     *[_cell(result, env, agg.teacher) for env in ranking.envs]])
    for teacher, missing in sorted(ranking.unranked.items()):
        rows.append(["not ranked", teacher, f"missing {len(missing)} of {len(ranking.envs)} envs", "—",
                     *[_cell(result, env, teacher) for env in ranking.envs]])
    return rows


def _headers(result: LeaderboardStats, ranking: Ranking) -> list[str]:
    return ["rank", "teacher", "normalised IQM [95 % CI]", f"P(> {result.baseline}) [95 % CI]",
            *(result.title(env) for env in ranking.envs)]


def _ranking_title(ranking: Ranking) -> str:
    return f"Ranking {ranking.name} (family {ranking.family}, {len(ranking.envs)} env(s))"


LEGEND = ("Normalised per env: random = 0, best known = 1; IQM of all runs pooled over the ranking's envs, 95 % "
          "stratified bootstrap CI. Only teachers with runs on every env of a ranking are ranked; random and "
          "privileged teachers are reference rows. Per-env cells: IQM of the headline score over seeds [95 % CI]; "
          "'+': the 95 % CI of the IQM difference to random excludes 0.")


def _footer(result: LeaderboardStats, failed: list[dict]) -> list[str]:
    lines = [f"not in the aggregate: {result.title(env)}: {why}" for env, why in result.skipped.items()]
    if result.track == "tuned":
        lines.append("tuned track: each teacher's best of the same number of configurations on tuning seeds, "
                     "evaluated on the evaluation seeds; chosen: "
                     + ("; ".join(f"{result.title(env)}: {config}" for (env, _), config in sorted(result.chosen.items()))
                        or "none yet (run the search: teachgym leaderboard run --track tuned)"))
    versions = result.code_versions
    if versions:
        lines.append("code versions of the runs: " + ", ".join(f"{v} ({n} runs)" for v, n in sorted(versions.items())))
    lines.append(f"{len(failed)} failed run(s); `teachgym leaderboard show --format json` has their tracebacks."
                 if failed else "No failed runs.")
    return lines


def _intro(result: LeaderboardStats) -> str:
    return f"Track: {result.track}. {LEGEND}"


def to_text(result: LeaderboardStats, failed: list[dict]) -> str:
    """Fixed-width terminal tables, one per ranking (same content as :func:`to_markdown`)."""
    lines = [_intro(result)]
    for ranking in result.rankings:
        headers, rows = _headers(result, ranking), table_rows(result, ranking)
        widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]
        lines += ["", _ranking_title(ranking)]
        lines += ["  ".join(f"{c:<{w}}" for c, w in zip(r, widths)).rstrip() for r in [headers, *rows]]
    lines.append("")
    lines += _footer(result, failed)
    return "\n".join(lines)


def to_markdown(result: LeaderboardStats, failed: list[dict]) -> str:
    """Markdown tables, one per ranking (same content as :func:`to_text`); every user string escaped."""
    lines = [_md(_intro(result))]
    for ranking in result.rankings:
        headers = _headers(result, ranking)
        lines += ["", _md(_ranking_title(ranking)), ""]
        lines.append("| " + " | ".join([*(_md(h) for h in headers[:4]), *(_md_code(e) for e in headers[4:])]) + " |")
        lines.append("|" + "---|" * len(headers))
        for row in table_rows(result, ranking):
            lines.append("| " + " | ".join(_md(c) for c in row) + " |")
    lines.append("")
    lines += [_md(line) for line in _footer(result, failed)]
    return "\n".join(lines)


def to_csv(result: LeaderboardStats) -> str:
    """One row per (env, teacher): runs, mean, IQM, CIs, the difference to random, the ranking."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["env", "teacher", "n", "mean", "iqm", "iqm_ci_low", "iqm_ci_high", "mean_ci_low", "mean_ci_high",
                     "vs_random", "vs_random_low", "vs_random_high", "ranking"])
    for ranking in result.rankings:
        for env in ranking.envs:
            for t in result.per_env[env].values():
                vs = t.vs_baseline or ("", "", "")
                writer.writerow([_csv_text(env), _csv_text(t.teacher), t.n, t.mean, t.iqm, *t.iqm_ci, *t.mean_ci, *vs,
                                 _csv_text(ranking.name)])
    return out.getvalue()


def to_json(result: LeaderboardStats, failed: list[dict]) -> str:
    def ranking_json(r: Ranking) -> dict:
        return {
            "name": r.name, "family": r.family, "envs": r.envs,
            "rows": [{**vars(a), "iqm_ci": list(a.iqm_ci)} for a in r.rows],
            "not_ranked": [{"teacher": t, "missing_envs": m} for t, m in sorted(r.unranked.items())],
            "probability_of_improvement": [{"a": a, "b": b, "p": p, "ci": [lo, hi]}
                                           for (a, b), (p, lo, hi) in sorted(r.improvement.items())],
            "performance_profiles": {t: {"tau": p[0].tolist(), "fraction": p[1].tolist(), "low": p[2].tolist(),
                                         "high": p[3].tolist()} for t, p in r.profiles.items()},
            "skipped": r.skipped,
        }

    return json.dumps({
        "rankings": [ranking_json(r) for r in result.rankings],
        "per_env": {env: {t: vars(s) for t, s in teachers.items()} for env, teachers in result.per_env.items()},
        "normalisers": {env: {"random": lo, "best": hi} for env, (lo, hi) in result.normalisers.items()},
        "skipped": result.skipped,
        "code_versions": result.code_versions,
        "track": result.track,
        "chosen": [{"env": env, "teacher": t, "config": c} for (env, t), c in sorted(result.chosen.items())],
        "failed": [{k: r[k] for k in ("env_label", "teacher", "seed", "error")} for r in failed],
    }, indent=2, default=float)


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
