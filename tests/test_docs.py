"""The docs stay true: links resolve, the design page's examples run, results render, comments explain code."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def relative_links(path: Path) -> list[str]:
    """Targets of the Markdown links in ``path`` that point into the repository (no URLs, no bare anchors)."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # links inside code blocks are not links
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in relative_links(path):
        resolved = (path.parent / target.split("#")[0]).resolve()
        if not resolved.exists() or ROOT not in (resolved, *resolved.parents):
            broken.append(f"{path.relative_to(ROOT)}: {target}")
    return broken


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files_in_the_repository(path):
    assert path.exists(), f"{path} is missing"
    assert not broken_links(path)
    assert "../shared" not in path.read_text(), "docs must not refer to files outside the repository"


def test_the_link_checker_finds_a_broken_link(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    (tmp_path / "there.md").write_text("x")
    page.write_text("[ok](there.md) [web](https://example.org) [anchor](#x) [gone](missing.md#part)\n"
                    "```\n[in code](nowhere.md)\n```\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert relative_links(page) == ["there.md", "missing.md#part"]
    assert broken_links(page) == ["page.md: missing.md#part"]


def test_the_readme_links_the_design_page_and_the_changelog():
    links = relative_links(ROOT / "README.md")
    assert "docs/design.md" in links and "CHANGELOG.md" in links


# -- the design page's examples ---------------------------------------------------------------------
def design_examples() -> dict[str, str]:
    """The Python blocks of docs/design.md, keyed by the first class or call they define."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "design.md").read_text(), flags=re.S)
    return {re.search(r"^(?:class (\w+)|(\w+)\()", textwrap.dedent(b), flags=re.M).group(0): textwrap.dedent(b)
            for b in blocks}


def test_the_design_page_examples_run_and_pass_the_conformance_kit():
    examples = design_examples()
    assert len(examples) == 3, list(examples)
    namespace: dict = {}
    for code in examples.values():  # env and student, the kit on them, the teacher
        exec(compile(code, "docs/design.md", "exec"), namespace)
    from teachgym.testing import check_teacher

    check_teacher(namespace["LeastCorrectTeacher"], namespace["PracticeEnv"])
    result = __import__("teachgym").run(namespace["PracticeEnv"](), namespace["LeastCorrectTeacher"](), seed=0)
    assert 0.0 < result.score <= 100.0 and result.steps == 30


def test_the_design_page_names_what_the_code_defines():
    from teachgym import env, registry, teacher, testing

    text = (ROOT / "docs" / "design.md").read_text()
    for hook in ("_reset_student", "_read_lesson", "_teach", "_observation", "_reset_info", "_score_info",
                 "easy_to_hard"):
        assert f"`{hook}(" in text and hasattr(env.TeacherEnv, hook)
    for name in ("register_env", "register_teacher", "register_student", "teacher_meta", "env_meta",
                 "compatibility", "published_info"):
        assert name in text and hasattr(registry, name)
    assert f"FAMILIES = {registry.FAMILIES!r}".replace("'", '"') in " ".join(text.split())
    for name in ("required_info", "required_kwargs", "supported_spaces"):
        assert name in text and hasattr(teacher.Teacher, name)
    assert "check_teacher_env" in text and hasattr(testing, "check_teacher_env")


# -- results page ---------------------------------------------------------------------------------
def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


def test_render_results_shows_each_record_with_its_command_and_numbers(tmp_path):
    common, render = _load("_common"), _load("render_results")
    common.record("speed_check", "curriculum", {"random": {"steps_per_s": 105853, "score": 4.2},
                                                  "alp-gmm": {"steps_per_s": 1820, "score": 36.2}},
                  {"random": [4, 5, 4], "alp-gmm": [36, 40, 33]}, notes="two teachers", argv=["benchmarks/bench_speed.py", "--steps", "9"],
                  results_dir=str(tmp_path))
    common.record("grpo_check", "grpo", {"sec": {"updates": {"mean": 88.8, "ci95": [68.8, 108.0], "n": 5}}},
                  None, argv=["benchmarks/bench_grpo.py", "quality", "--seeds", "0,1"], results_dir=str(tmp_path))
    page = render.render(tmp_path)
    assert "benchmarks/bench_speed.py --steps 9" in page and "benchmarks/bench_grpo.py quality --seeds 0,1" in page
    assert "| random | 105,853 | 4.2 |" in page and "| alp-gmm | 1820 | 36.2 |" in page
    assert "88.8 [68.8, 108.0] (n = 5)" in page
    assert "<details><summary>per-seed numbers</summary>" in page and "| alp-gmm | 36, 40, 33 |" in page
    assert page.index("## curriculum") < page.index("### speed_check") < page.index("## grpo")
    assert "_Per-seed numbers not recorded._" in page  # the grpo record has none


def test_every_record_renders_and_the_page_is_generated():
    """Every record in benchmarks/results renders (``render_results.py --check`` says whether the page is current)."""
    render = _load("render_results")
    records = sorted((ROOT / "benchmarks" / "results").glob("*.json"))
    assert records
    for path in records:
        record = json.loads(path.read_text())
        assert record["name"] == path.stem and record.get("command") and record.get("family"), path.name
    page = render.render(ROOT / "benchmarks" / "results")
    for path in records:
        assert f"`results/{path.name}`" in page
    committed = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    assert committed.startswith("# Benchmark results\n\n_Generated by `python benchmarks/render_results.py`")
    assert render.number(1445660) == "1,445,660" and render.number(0.2764) == "0.2764" and render.number(6.0) == "6.0"
    assert render.number(0.29523423423) == "0.2952" and render.number(297413.0) == "297,413"


# -- comments explain code, not history -------------------------------------------------------------
HISTORY = re.compile(r"\bsession[- ]?\d|\bissue ?#?\d+|\(issue\b|\b20\d\d-\d\d-\d\d\b|\bhelper [A-Z]\b")
SOURCE_FOLDERS = ("teachgym", "envs", "teachers", "students", "scripts", "benchmarks", "tests")
# (path, text) pairs allowed to match: none today.
ALLOWED: set[tuple[str, str]] = set()


def history_lines(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = HISTORY.search(line)
        if match and (str(path.relative_to(ROOT)), match.group(0)) not in ALLOWED:
            found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_no_comment_narrates_sessions_issues_or_dates():
    own = Path(__file__).resolve()
    sources = [p for folder in SOURCE_FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))
               if "__pycache__" not in p.parts and p.resolve() != own]
    assert len(sources) > 100
    found = [line for path in sources for line in history_lines(path)]
    assert not found, "comments explain code, not its history:\n" + "\n".join(found)


def test_the_history_pattern_catches_what_it_should():
    for text in ("see session 3", "(issue 6)", "issue #2", "measured 2026-11-24", "helper E ran it"):
        assert HISTORY.search(text), text
    for text in ("a study session of minutes", "GRPOSession", "issue an error", "scope='session'"):
        assert not HISTORY.search(text), text
