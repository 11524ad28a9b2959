"""teachgym.run on an env whose practised tasks are not numbers (LMProblemWriter: problem strings)."""

import json

import numpy as np
import pytest

pytest.importorskip("transformers")

import teachgym  # noqa: E402
from teachgym.cli import write_plots  # noqa: E402
from teachgym.envs.grpo.writer_problems import SKILLS, ProblemSpace  # noqa: E402
from teachgym.registry import env_meta  # noqa: E402

ENV_ID = "teachgym/LMProblemWriter-v1"


@pytest.fixture(scope="module")
def smoke():
    return dict(env_meta(ENV_ID).smoke)


@pytest.mark.parametrize("teacher", ["random", "ucb"])
def test_run_keeps_the_problems_practised(smoke, teacher):
    result = teachgym.run(ENV_ID, teacher, seed=0, **smoke)
    assert result.steps == smoke["n_steps"]
    assert result.tasks.dtype == object and result.tasks.shape == (result.steps,)
    space = ProblemSpace()  # v1's problem space
    for lesson, problems in zip(result.lessons.tolist(), result.tasks):
        assert len(problems) == smoke["batch_size"]
        assert {space.solve(p)[0] for p in problems} == {SKILLS[lesson]}  # skill mode: a batch of skill k
    assert np.isfinite(result.score)
    json.dumps(result.to_dict())  # a run's record stays plain JSON


def test_run_with_text_tasks_is_deterministic(smoke):
    first = teachgym.run(ENV_ID, "random", seed=3, **smoke)
    assert teachgym.run(ENV_ID, "random", seed=3, **smoke) == first
    other = teachgym.run(ENV_ID, "random", seed=4, **smoke)
    assert other != first


def test_plots_leave_out_tasks_that_are_not_numbers(smoke, tmp_path):
    pytest.importorskip("matplotlib")
    record = teachgym.run(ENV_ID, "random", seed=0, **smoke).to_dict()
    written = write_plots(tmp_path, ENV_ID, [record])
    assert [p.name.endswith("__curves.png") for p in written] == [True]
    assert written[0].stat().st_size > 0
