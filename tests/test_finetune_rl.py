"""FineTuneRL-Linear: LSVI against exact value iteration, determinism, datasets, teachers."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import teachgym
from teachgym.registry import compatibility
from teachgym.students.finetune_rl.linear_mdp import LinearMDP, make_instance
from teachgym.students.finetune_rl.lsvi import ExplorationLesson, LSVIStudent
from teachgym.students.finetune_rl.offline_data import DatasetError, linear_dataset, save_linear_dataset, save_npz

ENV_ID = "teachgym/FineTuneRL-Linear-v0"
SMALL = {"n_states": 12, "feature_dim": 6, "horizon": 4, "n_offline_episodes": 2000}
FINETUNE_TEACHERS = ("online-only", "offline-only", "rlpd", "coverage-design")


def _exact_value_iteration(transition, reward, horizon):
    """Plain-loop backward induction, independent of LinearMDP.optimal."""
    n_states, n_actions, _ = transition.shape
    v = np.zeros(n_states)
    q = np.zeros((horizon, n_states, n_actions))
    for h in reversed(range(horizon)):
        for s in range(n_states):
            for a in range(n_actions):
                q[h, s, a] = reward[s, a] + sum(transition[s, a, t] * v[t] for t in range(n_states))
        v = q[h].max(axis=1)
    return q, v


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lsvi_equals_exact_value_iteration_on_a_tabular_mdp_with_one_hot_features(seed):
    rng = np.random.default_rng(seed)
    n_states, n_actions, horizon, per_pair = 5, 3, 6, 8
    # Transition probabilities in multiples of 1/per_pair, so a dataset can hold them exactly.
    counts = rng.multinomial(per_pair, np.ones(n_states) / n_states, size=(n_states, n_actions))
    transition, reward = counts / per_pair, rng.integers(0, 5, (n_states, n_actions)) / 4
    mdp = LinearMDP.tabular(transition, reward, np.ones(n_states) / n_states, horizon)
    rows = [(h, s, a, reward[s, a], t) for h in range(horizon) for s in range(n_states) for a in range(n_actions)
            for t in range(n_states) for _ in range(counts[s, a, t])]
    columns = list(zip(*rows))
    data = {"step": np.array(columns[0]), "state": np.array(columns[1]), "action": np.array(columns[2]),
            "reward": np.array(columns[3], dtype=float), "next_state": np.array(columns[4])}
    student = LSVIStudent(mdp, ridge=1e-9)
    student.reset(np.random.default_rng(0))
    student.set_offline_data(data)

    q_exact, v_exact = _exact_value_iteration(transition, reward, horizon)
    np.testing.assert_allclose(mdp.optimal()[1][0], v_exact)
    plan = student.plan(1.0)
    assert plan.value_estimate == pytest.approx(mdp.start @ v_exact, abs=1e-6)
    # The greedy policy is optimal from every start state, and picks an optimal action everywhere.
    np.testing.assert_allclose(student.evaluate(np.eye(n_states)), v_exact, atol=1e-9)
    chosen = plan.greedy.argmax(axis=2)
    best = np.take_along_axis(q_exact, chosen[..., None], axis=2)[..., 0]
    np.testing.assert_allclose(best, q_exact.max(axis=2), atol=1e-9)


def test_offline_share_zero_ignores_offline_data_and_one_ignores_online_data():
    mdp = make_instance("hidden-treasure", np.random.default_rng(0), n_states=10, dim=5, horizon=3)
    students = []
    for seed in (1, 2):  # same offline data, different online data
        student = LSVIStudent(mdp)
        student.reset(np.random.default_rng(seed))
        student.set_offline_data(linear_dataset(mdp, 500, 0.0, np.random.default_rng(0)))
        assert student.plan(0.0).value_estimate == 0.0  # no online data yet: nothing to regress on
        student.learn(ExplorationLesson(np.array([0, 1.0, 0, 0]), 0.5), budget=50)
        students.append(student)
    assert not np.array_equal(students[0].online.rew, students[1].online.rew)
    one, two = (s.plan(1.0) for s in students)
    assert one.value_estimate == two.value_estimate
    np.testing.assert_array_equal(one.cover[[0, 2, 3]], two.cover[[0, 2, 3]])
    assert students[0].plan(0.0).value_estimate != students[1].plan(0.0).value_estimate
    # Share 0: the offline data carry no weight, so other offline data give the same estimate.
    before = students[0].plan(0.0).value_estimate
    students[0].set_offline_data(linear_dataset(mdp, 500, 1.0, np.random.default_rng(9)))
    assert students[0].plan(0.0).value_estimate == before
    assert students[0].plan(1.0).value_estimate != one.value_estimate


def test_linear_mdp_refuses_a_transition_row_that_is_not_a_distribution():
    transition = np.full((2, 2, 2), 0.5)
    transition[0, 1] = [0.7, 0.7]
    with pytest.raises(teachgym.ConfigError, match="factor_next"):
        LinearMDP.tabular(transition, np.zeros((2, 2)), np.array([1.0, 0.0]), 3)


def test_same_seed_same_run_and_seeds_differ():
    kwargs = dict(SMALL, n_steps=15, episodes_per_step=2)
    first = teachgym.run(ENV_ID, "coverage-design", seed=4, **kwargs)
    second = teachgym.run(ENV_ID, "coverage-design", seed=4, **kwargs)
    other = teachgym.run(ENV_ID, "coverage-design", seed=5, **kwargs)
    np.testing.assert_array_equal(first.lessons, second.lessons)
    np.testing.assert_array_equal(first.rewards, second.rewards)
    np.testing.assert_array_equal(first.outcomes, second.outcomes)
    assert first.score == second.score
    assert not np.array_equal(first.rewards, other.rewards)


def test_observation_layout_covers_the_observation_and_the_value_is_exact():
    env = gym.make(ENV_ID, n_steps=5, **SMALL).unwrapped
    obs, info = env.reset(seed=0)
    spans = sorted(info["observation_layout"].values())
    assert spans[0][0] == 0 and spans[-1][1] == obs.size
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    # Offline data hides the treasure: the offline-only greedy policy is far from optimal.
    assert info["value"] < 95.0 and not info["eps_optimal"] and info["score"] == 0.0
    assert info["value"] == pytest.approx(100 * env.student.greedy_value() / env.mdp.optimal_value())


def test_offline_plus_online_becomes_eps_optimal_where_offline_only_never_does():
    kwargs = dict(n_steps=40, episodes_per_step=4)
    design = teachgym.run(ENV_ID, "coverage-design", seed=0, **kwargs)
    offline = teachgym.run(ENV_ID, "offline-only", seed=0, **kwargs)
    assert design.score > 0.0  # epsilon-optimal at the end, having found the treasure online
    assert offline.score == 0.0 and np.all(offline.rewards == 0.0)  # online data weighs nothing


def test_teachers_set_the_documented_offline_share():
    env = gym.make(ENV_ID, n_steps=3, **SMALL)
    for name, share in (("online-only", 0.0), ("offline-only", 1.0), ("rlpd", 0.5)):
        result = teachgym.run(env, name, seed=0)
        np.testing.assert_array_equal(result.tasks[:, -1], share)
    pooled = teachgym.run(env, "coverage-design", seed=0)
    n_off = SMALL["n_offline_episodes"]
    expected = [n_off / (n_off + 4 * t) for t in range(3)]  # default 4 episodes per step
    np.testing.assert_allclose(pooled.tasks[:, -1], expected, rtol=1e-6)


# -- offline dataset files --------------------------------------------------------
def _dataset_env_kwargs(path):
    return dict(SMALL, n_steps=3, offline_dataset=str(path))


def test_a_saved_dataset_is_used_instead_of_drawing_one(tmp_path):
    mdp = gym.make(ENV_ID, n_steps=3, **SMALL).unwrapped.mdp
    data = linear_dataset(mdp, 300, 1.0, np.random.default_rng(0))
    save_linear_dataset(tmp_path / "data.npz", data, mdp)
    env = gym.make(ENV_ID, **_dataset_env_kwargs(tmp_path / "data.npz")).unwrapped
    env.reset(seed=0)
    assert env.student.offline.count.tolist() == [300] * SMALL["horizon"]


def _corrupt(tmp_path, mdp, change):
    data = linear_dataset(mdp, 50, 1.0, np.random.default_rng(0))
    meta = {"horizon": mdp.horizon, "n_states": mdp.n_states, "n_actions": mdp.n_actions,
            "feature_dim": mdp.dim, "mdp_fingerprint": mdp.fingerprint()}
    change(data, meta)
    path = tmp_path / "bad.npz"
    save_npz(path, data, **meta)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda d, m: d.pop("reward"), "lacks field.*'reward'"),
    (lambda d, m: d.update(state=d["state"].astype(float)), "field 'state' must have dtype kind"),
    (lambda d, m: d.update(action=d["action"][:-1]), "field 'action' has 199 rows"),
    (lambda d, m: d.update(reward=np.where(np.arange(200) == 3, np.nan, d["reward"])), "'reward' holds NaN"),
    (lambda d, m: d.update(next_state=d["next_state"] + 100), "'next_state' must be in \\[0, 11\\]"),
    (lambda d, m: d.update(step=d["step"].reshape(-1, 1)), "field 'step' must have shape \\(N,\\)"),
    (lambda d, m: m.update(horizon=7), "made for horizon=7, but this env has horizon=4"),
    (lambda d, m: m.update(mdp_fingerprint="0123abcd"), "mdp_fingerprint"),
    (lambda d, m: m.pop("n_states"), "lacks metadata 'meta_n_states'"),
])
def test_a_malformed_or_mismatched_dataset_is_refused_with_a_clear_error(tmp_path, change, message):
    mdp = gym.make(ENV_ID, n_steps=3, **SMALL).unwrapped.mdp
    path = _corrupt(tmp_path, mdp, change)
    with pytest.raises(DatasetError, match=message):
        gym.make(ENV_ID, **_dataset_env_kwargs(path))


def test_a_dataset_made_for_another_instance_is_refused(tmp_path):
    other = gym.make(ENV_ID, n_steps=3, instance_seed=1, **SMALL).unwrapped.mdp
    save_linear_dataset(tmp_path / "other.npz", linear_dataset(other, 20, 1.0, np.random.default_rng(0)), other)
    with pytest.raises(DatasetError, match="mdp_fingerprint"):
        gym.make(ENV_ID, **_dataset_env_kwargs(tmp_path / "other.npz"))


def test_a_file_that_is_not_an_npz_or_missing_is_refused(tmp_path):
    (tmp_path / "notes.npz").write_text("not a zip archive")
    with pytest.raises(DatasetError, match="not a readable .npz"):
        gym.make(ENV_ID, **_dataset_env_kwargs(tmp_path / "notes.npz"))
    with pytest.raises(DatasetError, match="no such file"):
        gym.make(ENV_ID, **_dataset_env_kwargs(tmp_path / "absent.npz"))


# -- teachers ---------------------------------------------------------------------
@pytest.mark.parametrize("name", FINETUNE_TEACHERS)
def test_finetune_teachers_survive_degenerate_observations(name):
    env = gym.make(ENV_ID, n_steps=3, **SMALL)
    _, info = env.reset(seed=0)
    teacher = teachgym.make_teacher(name)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    size = env.observation_space.shape[0]
    for obs in (np.full(size, np.nan), np.full(size, np.inf), np.full(size, -np.inf), np.zeros(size), None,
                np.full(size, 1e300), np.ones(3)):
        action = teacher.act(obs, info)
        assert env.action_space.contains(action), (name, action)
        teacher.update(action, float("nan"), obs, {"outcome": float("nan")})
        info = {"outcome": float("inf"), "budget_used": 0.5}


@pytest.mark.parametrize("name", FINETUNE_TEACHERS)
def test_finetune_teachers_refuse_an_env_without_an_offline_share(name):
    teacher = teachgym.make_teacher(name)
    assert compatibility(name, "teachgym/ToyCurriculum-v0"), "the registry keeps it off envs without the layout"
    env = gym.make("teachgym/ToyCurriculum-v0", n_steps=3)
    _, info = env.reset(seed=0)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    with pytest.raises(teachgym.ConfigError, match="offline_share"):
        teacher.act(None, info)


@pytest.mark.parametrize("name, kwargs, field", [
    ("rlpd", {"share": 1.5}, "share"),
    ("rlpd", {"uniform_weight": -0.1}, "uniform_weight"),
    ("coverage-design", {"offline_share": "half"}, "offline_share"),
    ("coverage-design", {"tolerance": float("nan")}, "tolerance"),
    ("online-only", {"explore": ""}, "explore"),
])
def test_invalid_teacher_settings_name_the_field(name, kwargs, field):
    with pytest.raises(teachgym.ConfigError, match=field):
        teachgym.make_teacher(name, **kwargs)


def test_invalid_env_settings_name_the_field():
    for kwargs, field in (({"offline_coverage": 2.0}, "offline_coverage"), ({"instance": "maze"}, "instance"),
                          ({"episodes_per_step": 0}, "episodes_per_step"), ({"ridge": 0.0}, "ridge")):
        with pytest.raises(teachgym.ConfigError, match=field):
            gym.make(ENV_ID, **kwargs)


@pytest.mark.parametrize("name", FINETUNE_TEACHERS)
def test_finetune_teachers_and_the_env_never_touch_global_numpy_random(name):
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    teachgym.run(ENV_ID, name, seed=0, n_steps=5, **SMALL)
    assert np.array_equal(np.random.get_state()[1], before)
