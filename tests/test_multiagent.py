"""Multi-agent envs: PettingZoo's own conformance tests for every registered id, then the games' rules."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test  # noqa: E402

from teachgym import ConfigError, InvalidLessonError  # noqa: E402
from teachgym.envs import multiagent  # noqa: E402
from teachgym.envs.multiagent.base import InvalidActionError  # noqa: E402

IDS = multiagent.env_ids()


@pytest.fixture(autouse=True)
def _quiet_pettingzoo_advice():
    # PettingZoo's checkers warn about naming and Dict observations; they are advice, not failures.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize("env_id", IDS)
def test_parallel_api(env_id):
    parallel_api_test(multiagent.make(env_id), num_cycles=1000)


@pytest.mark.parametrize("env_id", IDS)
def test_parallel_seed(env_id):
    parallel_seed_test(lambda: multiagent.make(env_id))


@pytest.mark.parametrize("env_id", IDS)
def test_aec_api(env_id):
    api_test(multiagent.make_aec(env_id), num_cycles=500)


def sample(env, obs, rng):
    """One action per live agent, uniform over what its mask allows."""
    actions = {}
    for agent in env.agents:
        space = env.action_space(agent)
        mask = obs[agent].get("action_mask") if isinstance(obs[agent], dict) else None
        if mask is not None:
            actions[agent] = int(rng.choice(np.flatnonzero(mask)))
        elif hasattr(space, "n"):
            actions[agent] = int(rng.integers(space.n))
        else:
            actions[agent] = rng.uniform(space.low, space.high).astype(space.dtype)
    return actions


def rollout(env, seed, steps=400, action_seed=0):
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    trace = []
    for _ in range(steps):
        if not env.agents:
            break
        obs, rewards, _, _, infos = env.step(sample(env, obs, rng))
        trace.append((obs, rewards, infos))
    return trace


def same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_same_run_and_other_seed_other_run(env_id):
    first = rollout(multiagent.make(env_id), seed=3)
    assert same(first, rollout(multiagent.make(env_id), seed=3))
    assert not same(first, rollout(multiagent.make(env_id), seed=4))


def test_import_teachgym_does_not_import_pettingzoo():
    code = ("import sys, teachgym, teachgym.envs.multiagent as m; m.env_ids(); "
            "sys.exit('pettingzoo' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_registry_refuses_unknown_ids():
    with pytest.raises(ConfigError, match="DesignGame-v0"):
        multiagent.make("teachgym/multiagent/Nope-v0")


# -- design game ----------------------------------------------------------------------------
def play_rounds(env, seed, rounds, action_seed=0, waiting_action=None):
    """Play ``rounds`` rounds; per round: the teacher's reward and info and each player's summed reward."""
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    waiting_rng = np.random.default_rng(action_seed + 1)  # apart, so acting agents draw the same actions
    results, summed = [], dict.fromkeys(env.players, 0.0)
    while env.agents and len(results) < rounds:
        actions = sample(env, obs, rng)
        for agent in list(actions):
            if waiting_action is not None and obs[agent]["action_mask"].sum() == 1:
                actions[agent] = waiting_action(agent, waiting_rng)
        obs, rewards, _, _, infos = env.step(actions)
        for player in env.players:
            summed[player] += rewards.get(player, 0.0)
        if "arm" in infos.get("teacher", {}):
            results.append((rewards["teacher"], infos["teacher"], dict(summed)))
            summed = dict.fromkeys(env.players, 0.0)
    return results


@pytest.mark.parametrize("task", ["gridworld", "cartpole"])
def test_regret_is_antagonist_minus_student_return(task):
    env = multiagent.make("teachgym/multiagent/DesignGamePAIRED-v0", task=task)
    rounds = play_rounds(env, seed=0, rounds=30)
    assert len(rounds) == 30
    for reward, info, summed in rounds:
        assert info["student_return"] == pytest.approx(summed["student"])
        assert info["antagonist_return"] == pytest.approx(summed["antagonist"])
        assert reward == pytest.approx(summed["antagonist"] - summed["student"])
    assert any(reward != 0.0 for reward, _, _ in rounds)


def test_learning_progress_is_the_change_of_score_on_the_arm():
    env = multiagent.make("teachgym/multiagent/DesignGame-v0", task_bins=1, max_slip=0.0)
    last = 0.0
    rewards = []
    for reward, info, summed in play_rounds(env, seed=1, rounds=40):
        assert info["arm"] == 0 and info["outcome"] == summed["student"]  # gridworld score = success
        assert reward == pytest.approx(abs(info["outcome"] - last))
        last = info["outcome"]
        rewards.append(reward)
    assert 0.0 in rewards and 1.0 in rewards


def test_waiting_agents_actions_are_ignored():
    env = multiagent.make("teachgym/multiagent/DesignGamePAIRED-v0")
    zero = play_rounds(env, seed=2, rounds=10, waiting_action=lambda agent, rng: 0)
    masked = play_rounds(env, seed=2, rounds=10,
                         waiting_action=lambda agent, rng: int(rng.integers(1, env.action_space(agent).n)))
    garbage = play_rounds(env, seed=2, rounds=10, waiting_action=lambda agent, rng: "not an action")
    assert same(zero, masked) and same(zero, garbage)


def test_acting_agents_invalid_actions_raise_naming_the_agent():
    env = multiagent.make("teachgym/multiagent/DesignGame-v0")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="'teacher'.*\\[0, 23\\]"):
        env.step({"teacher": 24, "student": 0})
    with pytest.raises(InvalidActionError, match="'teacher'"):
        env.step({"student": 0})
    env.step({"teacher": 0})  # a waiting student may be left out
    for bad in (-1, 4, 1.5, 2.0, True, "1", None):
        with pytest.raises(InvalidLessonError, match="'student'"):
            env.step({"teacher": 0, "student": bad})


def test_gridworld_shortest_path_reaches_the_goal_in_distance_steps():
    env = multiagent.make("teachgym/multiagent/DesignGame-v0", task_bins=1, max_slip=0.0)
    design = env.design
    obs, _ = env.reset(seed=5)
    env.step({"teacher": 0})
    cell = int(np.argmax(env._runs["student"].observation[:-1]))
    start_distance = int(design.model.distance[cell])
    steps = 0
    while "episode_return" not in (info := {}) and env._runs:
        here = int(np.argmax(env._runs["student"].observation[:-1]))
        move = int(np.argmin(np.where(design.model.distance[design._next[here]] >= 0,
                                      design.model.distance[design._next[here]], 10**6)))
        _, rewards, _, _, infos = env.step({"student": move})
        steps += 1
        info = infos["student"]
        if "episode_return" in info:
            break
    assert info["is_success"] and info["episode_return"] == 1.0 and rewards["student"] == 1.0
    assert steps == start_distance


def test_game_ends_after_n_rounds():
    env = multiagent.make("teachgym/multiagent/DesignGame-v0", n_rounds=2)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    while env.agents:
        obs, _, terminations, truncations, infos = env.step(sample(env, obs, rng))
    assert all(truncations.values()) and not any(terminations.values()) and infos["teacher"]["round"] == 2
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


def test_design_game_settings_are_checked():
    with pytest.raises(ConfigError, match="antagonist"):
        multiagent.make("teachgym/multiagent/DesignGame-v0", objective="regret", antagonist=False)
    with pytest.raises(ConfigError, match="objective"):
        multiagent.make("teachgym/multiagent/DesignGame-v0", objective="fun")
    with pytest.raises(ConfigError, match="Discrete"):
        multiagent.make("teachgym/multiagent/DesignGameCartPole-v0").design.__class__(
            "teachgym.envs.deeprl.mountain_car_task:MountainCarTask")


# -- co-teaching ----------------------------------------------------------------------------
def co_teaching_rewards(shared_weight, steps=30):
    env = multiagent.make("teachgym/multiagent/CoTeaching-v0", shared_weight=shared_weight)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    out = []
    for _ in range(steps):
        _, rewards, _, _, infos = env.step({a: int(rng.integers(env.levels + 1)) for a in env.agents})
        out.append((rewards, infos))
    return out


def test_shared_weight_adds_the_mean_gain_of_all_subjects():
    competitive, cooperative = co_teaching_rewards(0.0), co_teaching_rewards(1.0)
    for (r0, i0), (r1, _) in zip(competitive, cooperative):
        gains = np.array([i0[a]["gain"] for a in sorted(r0)])
        assert [r0[a] for a in sorted(r0)] == pytest.approx(gains)  # own subject only
        assert [r1[a] - r0[a] for a in sorted(r0)] == pytest.approx(np.full(len(gains), gains.mean()))
    assert any(abs(r1["teacher_0"] - r0["teacher_0"]) > 1e-6 for (r0, _), (r1, _) in zip(competitive, cooperative))


def test_claims_beyond_the_budget_are_scaled_down_and_interference_erodes():
    env = multiagent.make("teachgym/multiagent/CoTeaching-v0", budget=2.0)
    env.reset(seed=0)
    _, _, _, _, infos = env.step({a: env.levels for a in env.agents})
    assert sum(info["share"] for info in infos.values()) == pytest.approx(2.0)
    for _ in range(20):  # only teacher_0 practises: the others' subjects may only lose
        _, _, _, _, infos = env.step({"teacher_0": env.levels, "teacher_1": 0, "teacher_2": 0})
        assert infos["teacher_0"]["gain"] > 0 and infos["teacher_1"]["gain"] < 0 and infos["teacher_2"]["gain"] < 0
    with pytest.raises(InvalidActionError, match="'teacher_1'"):
        env.step({"teacher_0": 0, "teacher_1": env.levels + 1, "teacher_2": 0})


# -- classroom ------------------------------------------------------------------------------
def test_classroom_reports_mean_and_worst_and_fairness_reward():
    env = multiagent.make("teachgym/multiagent/Classroom-v0", fairness_weight=1.0)
    env.reset(seed=0)
    worst, total, differs = 0.0, 0.0, False
    for step in range(env.n_steps):
        arm = min(step // 16, env.action_space("teacher_0").n - 1)  # sweep outwards from the origin
        _, rewards, _, truncations, infos = env.step({"teacher_0": arm})
        info = infos["teacher_0"]
        assert info["worst_score"] <= info["mean_score"]
        assert info["worst_score"] == pytest.approx(info["scores"].min())
        assert rewards["teacher_0"] == pytest.approx((info["worst_score"] - worst) / 100.0)
        total += rewards["teacher_0"]
        worst = info["worst_score"]
        differs |= info["worst_score"] < info["mean_score"]
    assert truncations["teacher_0"] and total == pytest.approx(worst / 100.0)
    assert differs and worst > 0.0  # heterogeneous students: the slowest lags behind


def test_classroom_tutors_share_the_budget_one_student_per_lesson():
    env = multiagent.make("teachgym/multiagent/ClassroomTutors-v0", n_steps=200)
    obs, _ = env.reset(seed=0)
    assert env.agents == ["tutor_0", "tutor_1", "tutor_2", "tutor_3"] and obs["tutor_0"][-1] == 1.0
    mastered = np.zeros(4)
    for step in range(200):
        turn = step % 4
        actions = {agent: min(step // 40, 24) for agent in env.agents}
        obs, rewards, _, truncations, infos = env.step(actions)
        info = infos["tutor_0"]
        assert info["tutor"] == turn and 0.0 <= info["outcome"] <= 1.0 and "outcomes" not in info
        gains = info["scores"] / 100.0 - mastered
        assert np.allclose(np.delete(gains, turn), 0.0)  # only the turn's student learned
        assert [rewards[f"tutor_{i}"] for i in range(4)] == pytest.approx(gains)  # fairness_weight 0: own gain
        mastered = info["scores"] / 100.0
    assert all(truncations.values()) and env.agents == [] and (mastered > 0.0).sum() >= 3
    with pytest.raises(ConfigError, match="mode"):
        multiagent.make("teachgym/multiagent/Classroom-v0", mode="pairs")


def test_classroom_invalid_lessons_raise():
    env = multiagent.make("teachgym/multiagent/Classroom-v0")
    env.reset(seed=0)
    with pytest.raises(InvalidLessonError, match="teacher_0.*\\[0, 24\\]"):
        env.step({"teacher_0": 25})
    box = multiagent.make("teachgym/multiagent/Classroom-v0", lesson_mode="box")
    box.reset(seed=0)
    with pytest.raises(InvalidLessonError, match="must be in \\[0.0, 1.0\\]"):
        box.step({"teacher_0": np.array([0.5, 1.5], dtype=np.float32)})
    with pytest.raises(ConfigError, match="students\\[1\\]"):
        multiagent.make("teachgym/multiagent/Classroom-v0", students=[{}, {"wings": 2}])


# -- partners, the scoring hook and the training script ------------------------------------
def test_score_design_teacher_is_seeded_and_teaching_helps():
    from teachgym import make_teacher
    from teachgym.envs.multiagent.partners import RewardBanditTeacher, score_design_teacher

    first = score_design_teacher(make_teacher("random"), seed=0, n_rounds=400)
    again = score_design_teacher(make_teacher("random"), seed=0, n_rounds=400)
    assert first.score == again.score and np.array_equal(first.arms, again.arms) and len(first.arms) == 400
    untaught = score_design_teacher(make_teacher("random"), seed=0, n_rounds=1)
    assert untaught.score < first.score <= 100.0
    paired = score_design_teacher(RewardBanditTeacher(), seed=0, n_rounds=200, objective="regret")
    assert len(paired.arms) == 200 and 0.0 <= paired.score <= 100.0


@pytest.mark.parametrize("env_id", ["teachgym/multiagent/CoTeaching-v0", "teachgym/multiagent/DesignGamePAIRED-v0"])
def test_train_marl_runs_both_routes(env_id, tmp_path, monkeypatch):
    pytest.importorskip("stable_baselines3")
    pytest.importorskip("supersuit")
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "train_marl.py"
    spec = importlib.util.spec_from_file_location("train_marl", path)
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "train_marl", script)  # dataclasses look their module up there
    spec.loader.exec_module(script)
    kwargs = ["n_rounds=3"] if "Design" in env_id else ["n_steps=20"]
    assert script.main(["--env-id", env_id, "--total-timesteps", "256", "--n-steps", "64", "--batch-size", "32",
                        "--eval-games", "1", "--out-dir", str(tmp_path), "--env-kwargs", *kwargs]) == 0
    (run,) = tmp_path.iterdir()
    saved = {p.name for p in run.iterdir()}
    expected = {"shared.zip"} if "CoTeaching" in env_id else {"teacher.zip", "student.zip", "antagonist.zip"}
    assert expected | {"summary.json"} == saved


def test_design_game_teacher_env_is_the_scoring_hook_on_the_leaderboard():
    import gymnasium as gym

    import teachgym
    from teachgym.envs.multiagent.partners import score_design_teacher

    hook = score_design_teacher(teachgym.make_teacher("ucb"), seed=2, n_rounds=60, objective="regret")
    run = teachgym.run("teachgym/DesignGameTeacherPAIRED-v0", "ucb", seed=2, n_steps=60, score_every=None)
    assert hook.score == run.score and np.array_equal(hook.arms, run.lessons.reshape(-1))
    assert set(np.unique(run.rewards)) <= {-1.0, 0.0, 1.0}  # regret of 0/1 gridworld returns

    env = gym.make("teachgym/DesignGameTeacher-v0", n_steps=200, task_bins=2, max_slip=0.0).unwrapped
    obs, _ = env.reset(seed=0)
    last, rewards = np.zeros(env.action_space.n), []
    for step in range(200):
        arm = step % env.action_space.n
        obs, reward, _, truncated, info = env.step(arm)
        # Absolute learning progress of the student on the arm, and its score there in the observation.
        assert reward == abs(info["outcome"] - last[arm]) and obs[arm] == info["outcome"]
        last[arm] = info["outcome"]
        rewards.append(reward)
    assert truncated and sum(rewards) > 0 and obs[-1] == 1.0 and info["score"] > 0.0
