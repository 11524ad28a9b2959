"""Leaderboard: resumable SQLite sweeps, statistics, outputs, the Ray backend."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import teachgym
from teachgym.cli import main, split_teachers
from teachgym.leaderboard import RunSpec, RunStore, get_suite, plan, run_sweep
from teachgym.leaderboard.report import README_END, README_START, leaderboard, to_markdown, update_readme
from teachgym.leaderboard.rankings import compute
from teachgym.leaderboard.stats import (bootstrap_ci, improvement_with_ci, iqm, iqm_difference_ci, performance_profile,
                                        probability_of_improvement, stratified_iqm_ci)
from teachgym.leaderboard.sweep import parse_teacher_spec

TINY_SUITE = """
[suites.tiny]
seeds = 4
[[suites.tiny.envs]]
id = "teachgym/ToyCurriculumDiscrete-v0"
teachers = ["random", "tscl-window", "easy-to-hard"]
best_known = 100.0
[[suites.tiny.envs]]
id = "teachgym/ToyCurriculum-v0"
kwargs = { n_steps = 3000 }
teachers = ["random", "alp-gmm"]
[suites.discrete]
seeds = 1
[[suites.discrete.envs]]
id = "teachgym/ToyCurriculumDiscrete-v0"
kwargs = { n_steps = 200 }
"""


@pytest.fixture
def suite_file(tmp_path) -> Path:
    path = tmp_path / "suites.toml"
    path.write_text(TINY_SUITE)
    return path


def _scores(db: Path) -> dict[str, float]:
    with sqlite3.connect(db) as con:
        return {key: score for key, score in con.execute("SELECT run_key, score FROM runs WHERE status = 'ok'")}


# -- statistics against hand-computed values ------------------------------------------------------

def test_iqm_and_probability_of_improvement_by_hand():
    assert iqm([1, 2, 3, 4, 5, 6, 7, 8]) == 4.5  # mean of 3, 4, 5, 6
    assert iqm([0, 0, 10, 10]) == 5.0
    assert probability_of_improvement([1, 3], [2, 2]) == 0.5
    assert probability_of_improvement([2, 2], [2, 2]) == 0.5  # ties count one half
    assert probability_of_improvement([5], [1, 2, 3]) == 1.0


def test_bootstrap_ci_brackets_the_estimate_and_collapses_for_constants():
    low, high = bootstrap_ci(np.arange(20.0), rng=np.random.default_rng(0))
    assert low < iqm(np.arange(20.0)) < high and 5 < low and high < 15
    assert bootstrap_ci([3.0, 3.0, 3.0]) == (3.0, 3.0)
    assert bootstrap_ci([7.0]) == (7.0, 7.0)


def test_improvement_profiles_and_differences_by_hand():
    rng = np.random.default_rng(0)
    # env 1: the single run 5 beats all of 1, 2, 3; env 2: 0 never beats 1. Averaged over envs: 0.5, and no
    # resample within an env can change either env's value.
    assert improvement_with_ci([[5], [0, 0]], [[1, 2, 3], [1, 1]], rng) == (0.5, 0.5, 0.5)
    p, low, high = improvement_with_ci([[0.0, 1.0]], [[0.5]], rng)
    assert p == 0.5 and low == 0.0 and high == 1.0  # resamples {0,0}, {1,1} and the mixed one give 0, 1, 0.5
    profile, lo, hi = performance_profile([[0.0, 0.5, 1.0]], np.array([-0.1, 0.25, 0.75, 1.0]))
    np.testing.assert_allclose(profile, [1, 2 / 3, 1 / 3, 0])
    # Each env weighs the same (not each run): (1/2 + 4/4) / 2, not 5/6.
    profile, lo, hi = performance_profile([[0.0, 1.0], [1.0, 1.0, 1.0, 1.0]], np.array([0.5]), rng)
    assert profile[0] == 0.75 and lo[0] <= 0.75 <= hi[0] and lo[0] >= 0.5
    assert iqm_difference_ci([2, 2, 2], [1, 1], rng) == (1.0, 1.0, 1.0)
    assert stratified_iqm_ci([np.array([1.0, 1.0]), np.array([3.0, 3.0])], rng) == (2.0, 2.0)
    x = rng.normal(size=(7, 13))
    np.testing.assert_allclose(iqm(x, axis=1), stats.trim_mean(x, 0.25, axis=1))


def test_normalisation_aggregation_and_improvement_by_hand():
    result = compute({"e1": {"random": [0, 1, 2], "a": [5, 6, 7]}, "e2": {"random": [1, 1], "a": [2, 3], "b": [0, 0]}},
                     best_known={"e1": 10.0}, groups={"e1": "g", "e2": "g"})
    assert result.normalisers == {"e1": (1.0, 10.0), "e2": (1.0, 2.5)}  # e2: best known = best teacher mean
    ranking = result.ranking("g")
    rows = {a.teacher: a for a in ranking.rows}
    # a's normalised runs: 4/9, 5/9, 6/9 on e1 and 2/3, 4/3 on e2; IQM of 5 values trims one from each end.
    assert rows["a"].iqm == pytest.approx(np.mean([5 / 9, 6 / 9, 2 / 3]))
    assert rows["random"].iqm == pytest.approx(0.0) and rows["random"].role == "baseline" and rows["random"].rank is None
    assert [a.teacher for a in ranking.ranked] == ["a"]  # b ran e2 only: never averaged over fewer envs
    assert ranking.unranked == {"b": ["e1"]}
    assert ranking.improvement[("a", "random")][0] == 1.0 and ("b", "a") not in ranking.improvement
    assert result.per_env["e2"]["b"].vs_baseline[0] == -1.0
    skipped = compute({"e": {"a": [1.0]}}).skipped
    assert "no 'random' runs" in skipped["e"]


def test_a_teacher_on_fewer_envs_is_not_ranked_below_random_and_privileged_teachers_are_references():
    """The old aggregate pooled each teacher over the envs it happened to run: a Box-only teacher that
    masters 9x random's cells on one env ranked below random, and a privileged schedule ranked first."""
    rng = np.random.default_rng(0)
    scores = {
        "toy": {"random": rng.normal(4, 0.2, 10), "alp-gmm": rng.normal(36, 1, 10), "easy-to-hard": rng.normal(48, 1, 10)},
        "toy-discrete": {"random": rng.normal(4, 0.2, 10), "tscl": rng.normal(100, 0.1, 10),
                         "easy-to-hard": rng.normal(100, 0.1, 10)},
        "grid": {"random": rng.normal(44, 3, 10), "alp-gmm": rng.normal(33, 1, 10), "easy-to-hard": rng.normal(54, 1, 10)},
        "grid-discrete": {"random": rng.normal(40, 3, 10), "tscl": rng.normal(43, 2, 10),
                          "easy-to-hard": rng.normal(61, 1, 10)},
    }
    best = {"toy": 100.0, "toy-discrete": 100.0, "grid": 64.6, "grid-discrete": 64.6}
    families = dict.fromkeys(scores, "curriculum")
    pooled = compute(scores, best, families=families, privileged={"easy-to-hard"})
    ranking = pooled.ranking("curriculum")
    assert ranking.ranked == []  # no real teacher ran all four envs: nobody is ranked on them
    assert set(ranking.unranked) == {"alp-gmm", "tscl"}
    assert {r.teacher: r.role for r in ranking.rows} == {"random": "baseline", "easy-to-hard": "privileged"}
    groups = {"toy": "box", "grid": "box", "toy-discrete": "discrete", "grid-discrete": "discrete"}
    split = compute(scores, best, groups=groups, families=families, privileged={"easy-to-hard"})
    box = split.ranking("box")
    assert [r.teacher for r in box.ranked] == ["alp-gmm"] and box.ranked[0].rank == 1
    assert box.family == "curriculum" and box.unranked == {}
    assert [r.teacher for r in split.ranking("discrete").ranked] == ["tscl"]
    assert split.per_env["toy"]["alp-gmm"].beats_baseline and not split.per_env["grid"]["alp-gmm"].beats_baseline
    assert split.per_env["grid"]["alp-gmm"].vs_baseline[2] < 0  # worse than random there, and the CI says so


# -- sweeps: storage, resume, failures ------------------------------------------------------------

def test_suites_are_data_and_validated(suite_file, tmp_path):
    quick = get_suite("quick")
    assert quick.seeds >= 5 and {e.env_id for e in quick.envs} >= {"teachgym/ToyCurriculum-v0"}
    tiny = get_suite("tiny", suite_file)
    assert len(plan(tiny)) == 3 * 4 + 2 * 4
    bad = tmp_path / "bad.toml"
    bad.write_text("[suites.x]\nseeds = 0\n[[suites.x.envs]]\nid = 'a'\n")
    with pytest.raises(teachgym.ConfigError, match="suites.x.seeds"):
        get_suite("x", bad)
    with pytest.raises(teachgym.ConfigError, match="--suite must be one of"):
        get_suite("nope", suite_file)


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(suite_file, tmp_path):
    specs = plan(get_suite("tiny", suite_file), ["random", "alp-gmm(fit_rate=0)"], seeds=1)
    with RunStore(tmp_path / "lb.sqlite") as store:
        summary = run_sweep(specs, store)
        rows = list(store.rows())
    assert summary.ran == 3 and summary.failed == 1  # alp-gmm (Box only) is not planned on the Discrete env
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 1 and "fit_rate must be an integer >= 2" in failed[0]["error"]
    assert all(r["status"] == "ok" for r in rows if r["teacher"] == "random")


def test_lessons_and_curves_are_stored_compressed_and_restored(suite_file, tmp_path):
    specs = plan(get_suite("tiny", suite_file), ["random"], seeds=1)
    with RunStore(tmp_path / "lb.sqlite") as store:
        run_sweep(specs, store)
        rows = {r["env_id"]: r for r in store.rows(with_arrays=True)}
    direct = teachgym.run("teachgym/ToyCurriculum-v0", "random", 0, n_steps=3000)
    stored = rows["teachgym/ToyCurriculum-v0"]
    np.testing.assert_array_equal(stored["tasks"], direct.tasks)
    assert stored["score"] == direct.score and stored["curve"] == [list(p) for p in direct.curve]


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigkill_mid_sweep_then_resume_gives_one_row_per_run_and_the_same_scores(suite_file, tmp_path, jobs):
    command = [sys.executable, "-m", "teachgym.cli", "leaderboard", "run", "--suite", "tiny", "--suite-file",
               str(suite_file), "--jobs", str(jobs), "--no-progress"]
    killed_db = tmp_path / "killed.sqlite"
    process = subprocess.Popen(command + ["--db", str(killed_db)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    rows = 0
    while time.time() < deadline and process.poll() is None:
        if killed_db.exists():
            try:
                with sqlite3.connect(killed_db, timeout=1) as con:
                    rows = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.OperationalError:
                rows = 0
            if rows >= 3:
                break
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the whole sweep, workers included
    process.wait()
    assert 3 <= rows < 20, "the sweep must be killed part-way"

    resumed = subprocess.run(command + ["--db", str(killed_db)], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "already stored" in resumed.stdout
    clean_db = tmp_path / "clean.sqlite"
    subprocess.run(command + ["--db", str(clean_db)], check=True, capture_output=True)
    with sqlite3.connect(killed_db) as con:
        assert con.execute("SELECT COUNT(*), COUNT(DISTINCT run_key) FROM runs").fetchone() == (20, 20)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _scores(killed_db) == _scores(clean_db)


def test_ray_backend_gives_the_same_scores_as_local(suite_file, tmp_path):
    pytest.importorskip("ray")
    specs = plan(get_suite("tiny", suite_file), seeds=2)
    with RunStore(tmp_path / "local.sqlite") as local, RunStore(tmp_path / "ray.sqlite") as remote:
        run_sweep(specs, local, jobs=2)
        summary = run_sweep(specs, remote, jobs=2, backend="ray")
    assert summary.ran == len(specs) and summary.failed == 0
    assert _scores(tmp_path / "local.sqlite") == _scores(tmp_path / "ray.sqlite")


# -- teacher specs and outputs ---------------------------------------------------------------------

def test_teacher_specs(tmp_path):
    assert parse_teacher_spec("alp-gmm(warm_start=true, fit_rate=100)") == ("alp-gmm", {"warm_start": True, "fit_rate": 100})
    assert parse_teacher_spec("tests.test_core:FixedTeacher") == ("tests.test_core:FixedTeacher", {})
    assert split_teachers("a,b(x=1,y=2),c") == ["a", "b(x=1,y=2)", "c"]
    with pytest.raises(teachgym.ConfigError, match="no such teacher file"):
        parse_teacher_spec(str(tmp_path / "missing.zip"))
    with pytest.raises(teachgym.ConfigError, match="key=value"):
        parse_teacher_spec("alp-gmm(oops)")


def test_cli_run_show_formats_and_readme(suite_file, tmp_path, capsys):
    db = str(tmp_path / "lb.sqlite")
    args = ["leaderboard", "run", "--suite", "tiny", "--suite-file", str(suite_file), "--db", db, "--jobs", "1",
            "--seeds", "2", "--teachers", "random,tests.test_core:FixedTeacher", "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "tests.test_core:FixedTeacher" in out and "Ranking" in out
    for fmt in ("text", "md", "csv", "json"):
        assert main(["leaderboard", "show", "--suite", "tiny", "--suite-file", str(suite_file), "--db", db,
                     "--format", fmt]) == 0
        text = capsys.readouterr().out
        assert "random" in text
    payload = json.loads(text)
    rows = {r["teacher"]: r["role"] for ranking in payload["rankings"] for r in ranking["rows"]}
    assert rows == {"random": "baseline", "tests.test_core:FixedTeacher": "ranked"}
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{README_START}\nold\n{README_END}\noutro\n")
    assert main(["leaderboard", "show", "--suite", "tiny", "--suite-file", str(suite_file), "--db", db,
                 "--update-readme", str(readme)]) == 0
    new = readme.read_text()
    assert new.startswith("intro\n") and new.endswith("outro\n") and "old" not in new and "| rank |" in new
    assert main(["leaderboard", "show", "--db", str(tmp_path / "none.sqlite")]) == 2


def test_html_page_in_headless_chromium(tmp_path):
    """The page opens offline in a real browser: table present, plots render, hostile names show as text."""
    chromium = "/usr/bin/chromium"
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(chromium).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("no /usr/bin/chromium")
    from teachgym.leaderboard.html import write_html
    from teachgym.leaderboard.store import RunSpec

    evil = "<img src=x onerror=alert(1)>&co"
    if evil not in teachgym.teacher_registry.names():
        teachgym.register_teacher(evil, "teachgym.teachers.generic.random_teacher:RandomTeacher")
    specs = [RunSpec("teachgym/ToyCurriculum-v0", {"n_steps": 2000}, 'teachgym/ToyCurriculum-v0{"n_steps": 2000}', t, s)
             for t in ("random", evil, "alp-gmm") for s in range(2)]
    with RunStore(tmp_path / "lb.sqlite") as store:
        run_sweep(specs, store)
        page = write_html(store, tmp_path / "html")
        markdown = to_markdown(*leaderboard(store))
    assert "<img src=x" not in markdown
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1000, "height": 800})
        dialogs = []
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.goto(page.as_uri())
        names = tab.locator("table.ranking td.teacher").all_inner_texts()
        assert sorted(names) == sorted(["random", evil, "alp-gmm"])
        assert tab.locator("section.family h2").all_inner_texts() == ["Family: curriculum"]
        for kind in ("ranking", "profiles", "improvement", "seeds", "curves", "sampling"):
            assert tab.locator(f"img.plot.{kind}").count() >= 1, kind
        widths = tab.evaluate("Array.from(document.querySelectorAll('img.plot')).map(i => i.complete && i.naturalWidth)")
        assert all(w and w > 100 for w in widths)
        assert "code version of the runs" in tab.locator("#code-versions").inner_text().lower()
        overlaps = tab.evaluate("""() => {
            const boxes = Array.from(document.querySelectorAll('h1,h2,h3,h4,p,table,img')).map(e => [e.tagName,
                e.getBoundingClientRect()]);
            const out = [];
            for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                const [a, r] = boxes[i], [b, q] = boxes[j];
                if (r.width && q.width && r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1
                    && q.top < r.bottom - 1) out.push([a, b]);
            }
            return out; }""")
        assert overlaps == []  # no two blocks (headings, notes, tables, plots) share pixels
        page_width = tab.evaluate("document.documentElement.scrollWidth")
        assert page_width <= 1000  # wide tables scroll inside their box, the page never does
        assert tab.locator("table.ranking img").count() == 0 and dialogs == []
        browser.close()


# -- sweeps: killed parents, unreadable stores, concurrent sweeps, checks before running ---------

LONG_SUITE = """
[suites.long]
seeds = 8
[[suites.long.envs]]
id = "teachgym/ToyCurriculum-v0"
teachers = ["alp-gmm"]
"""


def _alive(pid: int) -> bool:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(process) -> str:
    """A process's command line; empty once it has exited (a zombie has none to read)."""
    psutil = pytest.importorskip("psutil")
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def test_sigkill_of_the_sweep_kills_its_pool_workers_and_resource_tracker(tmp_path):
    psutil = pytest.importorskip("psutil")
    suites = tmp_path / "suites.toml"
    suites.write_text(LONG_SUITE)
    command = [sys.executable, "-m", "teachgym.cli", "leaderboard", "run", "--suite", "long", "--suite-file",
               str(suites), "--jobs", "2", "--no-progress", "--db", str(tmp_path / "lb.sqlite")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and process.poll() is None:
            children = psutil.Process(process.pid).children(recursive=True)
            workers = [c for c in children if "spawn_main" in _cmdline(c)]
            if len(workers) >= 2:
                break
            time.sleep(0.05)
        assert process.poll() is None and len(workers) >= 2, "the sweep must be killed while its workers run"
        time.sleep(0.5)  # the workers are past their initializer
        children = psutil.Process(process.pid).children(recursive=True)
        os.kill(process.pid, signal.SIGKILL)  # the sweep only: its children must follow on their own
        process.wait()
        deadline = time.time() + 30
        while time.time() < deadline and any(_alive(c.pid) for c in children):
            time.sleep(0.1)
        survivors = [(c.pid, _cmdline(c)[:80]) for c in children if _alive(c.pid)]
        assert survivors == []
    finally:
        for child in children:
            if _alive(child.pid):
                child.kill()
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_an_unreadable_db_is_one_clear_line(suite_file, tmp_path, damage):
    db = tmp_path / "lb.sqlite"
    if damage == "garbage":
        db.write_bytes(b"these are not the rows you are looking for\n" * 200)
    else:
        with RunStore(db) as store:
            run_sweep(plan(get_suite("tiny", suite_file), ["random"], seeds=4), store)
        with sqlite3.connect(db) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 2])
    for args in (["run", "--suite", "tiny", "--suite-file", str(suite_file), "--jobs", "1"], ["show"], ["html", "--out",
                                                                                                  str(tmp_path / "h")]):
        out = subprocess.run([sys.executable, "-m", "teachgym.cli", "leaderboard", *args, "--db", str(db),
                              "--no-progress"][: None if args[0] == "run" else -1], capture_output=True, text=True)
        assert out.returncode == 2, out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert f"--db {db}" in out.stderr and "Move it aside" in out.stderr


class RendezvousTeacher(teachgym.Teacher):
    """A random teacher that logs each run it starts and, on its first, waits for a second sweep to start one."""

    def act(self, obs, info):
        return self.random_action()

    def reset(self, action_space, observation_space=None, seed=None):
        super().reset(action_space, observation_space, seed)
        log = Path(os.environ["TEACHGYM_TEST_LOG"])
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {seed}\n")
        deadline = time.time() + 60  # both sweeps hold a run at once (or the other sweep never came)
        while time.time() < deadline and len({line.split()[0] for line in log.read_text().splitlines()}) < 2:
            time.sleep(0.05)


def test_two_concurrent_sweeps_on_one_db_split_the_runs(tmp_path):
    suites = tmp_path / "suites.toml"
    suites.write_text('[suites.pair]\nseeds = 6\n[[suites.pair.envs]]\nid = "teachgym/ToyCurriculumDiscrete-v0"\n'
                      'kwargs = { n_steps = 300 }\nteachers = ["tests.test_leaderboard:RendezvousTeacher"]\n')
    log = tmp_path / "runs.log"
    log.touch()
    db = tmp_path / "lb.sqlite"
    command = [sys.executable, "-m", "teachgym.cli", "leaderboard", "run", "--suite", "pair", "--suite-file",
               str(suites), "--jobs", "1", "--no-progress", "--db", str(db)]
    env = {**os.environ, "TEACHGYM_TEST_LOG": str(log)}
    repo = Path(__file__).resolve().parents[1]
    # Output goes to files: a sweep may wait for the other's claimed runs, so an undrained pipe could stall both.
    streams = [(tmp_path / f"out{i}", tmp_path / f"err{i}") for i in range(2)]
    sweeps = []
    for out, err in streams:
        with open(out, "w") as stdout, open(err, "w") as stderr:
            sweeps.append(subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, env=env, cwd=repo))
    try:
        for sweep in sweeps:
            sweep.wait(timeout=300)
    finally:
        for sweep in sweeps:
            sweep.kill()
    outputs = [(out.read_text(), err.read_text()) for out, err in streams]
    assert [s.returncode for s in sweeps] == [0, 0], outputs
    started = log.read_text().splitlines()
    assert len(started) == 6 and len({line.split()[1] for line in started}) == 6  # each run executed once
    assert len({line.split()[0] for line in started}) == 2  # by both sweeps
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*), COUNT(DISTINCT run_key) FROM runs WHERE status = 'ok'").fetchone() == (6, 6)
        assert con.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    ran = [int(re.search(r"ran (\d+) ", out).group(1)) for out, _ in outputs]
    assert sum(ran) == 6


def _open_store_at(path: str, start: float, results) -> None:
    while time.time() < start:
        pass
    try:
        with RunStore(path):
            results.put("ok")
    except Exception as error:  # noqa: BLE001  (reported to the test)
        results.put(f"{type(error).__name__}: {error}")


def test_sweeps_starting_together_on_a_new_db_all_open_it(tmp_path):
    """Three processes creating the same store at one instant all get it (SQLite refuses the switch to WAL
    at once, without its busy wait, while another process is creating the file)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for trial in range(12):
        results = context.Queue()
        start = time.time() + 0.1
        workers = [context.Process(target=_open_store_at, args=(str(tmp_path / f"{trial}.sqlite"), start, results))
                   for _ in range(3)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join()
        assert outcomes == ["ok"] * 3, outcomes


def test_claims_of_dead_or_silent_sweeps_are_taken_over(tmp_path):
    spec = plan(get_suite("quick"), ["random"], seeds=1)[0]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    with RunStore(tmp_path / "lb.sqlite", stale_after=60) as store, RunStore(tmp_path / "lb.sqlite") as other:
        def hold(pid, heartbeat):
            store._db.execute("INSERT OR REPLACE INTO claims VALUES (?,?,?,?,?)",
                              (spec.key, f"{host}:{pid}:x", host, pid, heartbeat))
        hold(os.getppid(), time.time())  # a live process on this host
        assert store.claim(spec.key) == "taken"
        hold(dead.pid, time.time())  # a process that has exited
        assert store.claim(spec.key) == "claimed"
        assert other.claim(spec.key) == "taken"  # now held by `store`, which is alive
        hold(os.getppid(), time.time() - 3600)  # alive, but no heartbeat for an hour
        assert store.claim(spec.key) == "claimed"
        store.write(spec, {"status": "ok", "score": 1.0}, "test")
        assert store.claims() == [] and other.claim(spec.key) == "done"


def test_unknown_or_incompatible_teachers_stop_the_sweep_before_any_run(suite_file, tmp_path, capsys):
    db = tmp_path / "lb.sqlite"
    base = ["leaderboard", "run", "--suite", "tiny", "--suite-file", str(suite_file), "--db", str(db), "--jobs", "1",
            "--no-progress"]
    assert main(base + ["--teachers", "random,alp-gmn"]) == 2
    err = capsys.readouterr().err
    assert "unknown teacher 'alp-gmn'" in err and "did you mean 'alp-gmm'" in err
    assert main(base + ["--suite", "discrete", "--teachers", "random,alp-gmm"]) == 2  # alp-gmm is Box-only
    err = capsys.readouterr().err
    assert "teacher 'alp-gmm' can run on none of the suite's envs" in err and "supports action spaces Box" in err
    specs = plan(get_suite("discrete", suite_file), ["random"], seeds=1)
    bad = [RunSpec(s.env_id, s.env_kwargs, s.env_label, "alp-gmm", 0) for s in specs]
    with pytest.raises(teachgym.ConfigError, match="ToyCurriculumDiscrete-v0.*: teacher 'alp-gmm' supports action"):
        run_sweep(specs + bad, RunStore(tmp_path / "api.sqlite"))
    skipped = []
    assert {s.env_id for s in plan(get_suite("tiny", suite_file), ["alp-gmm"], 1, skipped)} == {"teachgym/ToyCurriculum-v0"}
    assert skipped[0][:2] == ("alp-gmm", "teachgym/ToyCurriculumDiscrete-v0")
    with RunStore(db) as store:
        assert store.count() == 0
    with pytest.raises(teachgym.ConfigError, match="unknown teacher 'nope'"):
        run_sweep(plan(get_suite("tiny", suite_file), ["nope"], seeds=1), RunStore(tmp_path / "api.sqlite"))
    with RunStore(tmp_path / "api.sqlite") as store:
        assert store.count() == 0


def test_failed_runs_make_the_sweep_exit_non_zero(suite_file, tmp_path, capsys):
    args = ["leaderboard", "run", "--suite", "tiny", "--suite-file", str(suite_file), "--db", str(tmp_path / "lb.sqlite"),
            "--jobs", "1", "--seeds", "1", "--no-progress", "--teachers", "random,alp-gmm(fit_rate=0)"]
    assert main(args) == 1
    assert "1 run(s) of this sweep are stored as failed" in capsys.readouterr().err
    assert main(args) == 1  # still failed when resumed
    assert main(args + ["--allow-failed"]) == 0


# -- tuned track, sharing runs ---------------------------------------------------------------------

TUNED_SUITE = """
[suites.tuned]
seeds = 2
tuning = { configs = 3, seeds = 2 }
[[suites.tuned.envs]]
id = "teachgym/ToyCurriculumDiscrete-v0"
kwargs = { n_steps = 300 }
teachers = ["random", "exp3", "tscl-window"]
[search_spaces.exp3]
gamma = { low = 0.01, high = 0.5, log = true }
[search_spaces.tscl-window]
window = { low = 3, high = 50, int = true }
[search_spaces.alp-gmm]
fit_rate = { budget_share = [0.01, 0.01], min = 10 }
"""


def test_search_configurations_are_defaults_first_budget_relative_and_parse_back():
    from teachgym.leaderboard.tuning import configurations, load_search_spaces, spec_string

    assert configurations("alp-gmm", {"fit_rate": {"budget_share": [0.01, 0.01], "min": 10}}, 2, 20_000) == \
        [{}, {"fit_rate": 200}]
    assert configurations("alp-gmm", {"fit_rate": {"budget_share": [0.01, 0.01], "min": 10}}, 2, 500) == \
        [{}, {"fit_rate": 10}]  # the same share of a 500-step budget, at least min
    assert configurations("random", None, 4, 500) == [{}]  # nothing to search
    spaces = load_search_spaces()  # the packaged spaces are valid and draw distinct configurations
    for teacher, space in spaces.items():
        configs = configurations(teacher, space, 4, 5000)
        assert configs[0] == {} and len(configs) == 4 and all(c not in configs[:i] for i, c in enumerate(configs))
        for config in configs:
            assert parse_teacher_spec(spec_string(teacher, config)) == (teacher, config)


def test_tuned_track_searches_on_disjoint_seeds_resumes_and_reports_the_chosen_configuration(tmp_path, capsys):
    from teachgym.leaderboard.tuning import TUNING_SEED_BASE

    suites = tmp_path / "suites.toml"
    suites.write_text(TUNED_SUITE)
    db = str(tmp_path / "lb.sqlite")
    base = ["--suite", "tuned", "--suite-file", str(suites), "--db", db]
    assert main(["leaderboard", "run", *base, "--jobs", "1", "--no-progress", "--track", "both"]) == 0
    assert "tuned track: search" in capsys.readouterr().out
    with RunStore(db) as store:
        rows = list(store.rows())
    search = [r for r in rows if r["seed"] >= TUNING_SEED_BASE]
    evaluation = [r for r in rows if r["seed"] < TUNING_SEED_BASE]
    assert {r["seed"] for r in search} == {TUNING_SEED_BASE, TUNING_SEED_BASE + 1} and {r["seed"] for r in evaluation} == {0, 1}
    assert len({r["teacher"] for r in search}) == 1 + 3 + 3  # random: defaults only; the others: 3 configurations
    means = {}
    for r in search:
        means.setdefault(r["teacher"], []).append(r["score"])
    best_exp3 = max((t for t in means if t.startswith("exp3")), key=lambda t: (np.mean(means[t]), t == "exp3"))
    assert main(["leaderboard", "show", *base, "--track", "tuned", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    chosen = {c["teacher"]: c["config"] for c in payload["chosen"]}
    assert chosen["exp3"] == best_exp3 and chosen["random"] == "random"
    assert {r["teacher"] for ranking in payload["rankings"] for r in ranking["rows"]} == {"random", "exp3", "tscl-window"}
    assert main(["leaderboard", "show", *base, "--format", "json"]) == 0  # defaults: no search-only configuration
    payload = json.loads(capsys.readouterr().out)
    assert {t for env in payload["per_env"].values() for t in env} == {"random", "exp3", "tscl-window"}
    assert main(["leaderboard", "run", *base, "--jobs", "1", "--no-progress", "--track", "tuned"]) == 0
    assert capsys.readouterr().out.count(", 0 to run,") == 2  # search and evaluation: all stored
    assert main(["leaderboard", "html", *base, "--track", "tuned", "--out", str(tmp_path / "html")]) == 0
    page = (tmp_path / "html" / "index.html").read_text()
    assert "Track: <b>tuned</b>" in page and html.escape(best_exp3) in page


def test_export_then_import_merges_only_runs_of_the_same_suite(suite_file, tmp_path, capsys):
    from teachgym.leaderboard.share import import_runs

    mine, theirs = str(tmp_path / "mine.sqlite"), str(tmp_path / "theirs.sqlite")
    common = ["--suite", "tiny", "--suite-file", str(suite_file)]
    assert main(["leaderboard", "run", *common, "--db", theirs, "--jobs", "1", "--seeds", "2", "--no-progress",
                 "--teachers", "random,tscl-window"]) == 0
    exported = tmp_path / "theirs.jsonl"
    assert main(["leaderboard", "export", *common, "--db", theirs, "--out", str(exported)]) == 0
    lines = exported.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["suite"] == "tiny" and header["suite_hash"] == get_suite("tiny", suite_file).hash
    assert len(lines) == 1 + 2 * 2 + 1 * 2 and all(json.loads(l)["code_version"] for l in lines[1:])
    assert main(["leaderboard", "run", *common, "--db", mine, "--jobs", "1", "--seeds", "1", "--no-progress",
                 "--teachers", "random"]) == 0
    assert main(["leaderboard", "import", *common, "--db", mine, str(exported)]) == 0
    assert "added 4, 2 already stored" in capsys.readouterr().out
    assert _scores(tmp_path / "mine.sqlite") == _scores(tmp_path / "theirs.sqlite")
    assert main(["leaderboard", "import", *common, "--db", mine, str(exported)]) == 0
    assert "added 0, 6 already stored" in capsys.readouterr().out
    other = tmp_path / "other.toml"
    other.write_text(TINY_SUITE.replace("seeds = 4", "seeds = 5"))
    with pytest.raises(teachgym.ConfigError, match="hash"):
        import_runs(RunStore(tmp_path / "x.sqlite"), get_suite("tiny", other), exported)
    record = json.loads(lines[1])
    for field, value, message in (("score", 101.0, "score"), ("seed", 7, "run_key"), ("env_label", "nope", "not an env")):
        bad = tmp_path / f"bad-{field}.jsonl"
        bad.write_text("\n".join([lines[0], lines[2], json.dumps({**record, field: value})]) + "\n")
        with RunStore(tmp_path / "empty.sqlite") as store:
            with pytest.raises(teachgym.ConfigError, match=message):
                import_runs(store, get_suite("tiny", suite_file), bad)
            assert store.count() == 0  # nothing written when one run fails its check
