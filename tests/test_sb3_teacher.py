"""RL teachers trained with SB3: the training logic, the script, and the sb3-policy teacher."""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import teachgym  # noqa: E402
from teachgym.dataclass_cli import field_docs, parse_args  # noqa: E402
from teachgym.envs import env_ids  # noqa: E402
from teachgym.training.sb3_teacher import TeacherTraining, sb3_compatible, train_teacher, wrap_for_sb3  # noqa: E402
from tests.conftest import fast_kwargs  # noqa: E402


@pytest.mark.parametrize("env_id", env_ids())
def test_sb3_ppo_learns_on_every_env_it_supports(env_id):
    """The issue's smoke test: ``PPO("MlpPolicy", gym.make(id)).learn(...)``, with tiny budgets."""
    from stable_baselines3 import PPO

    env = gym.make(env_id, **fast_kwargs(env_id))
    if not sb3_compatible(env):
        pytest.skip(f"SB3 does not support the spaces of {env_id}")
    policy = "MultiInputPolicy" if isinstance(env.observation_space, gym.spaces.Dict) else "MlpPolicy"
    model = PPO(policy, env, n_steps=2, batch_size=2, n_epochs=1, seed=0, device="cpu")
    model.learn(2)
    assert model.num_timesteps == 2
    env.close()


def _train(tmp_path, env_id: str, algo: str = "ppo", **env_kwargs):
    config = TeacherTraining(env_id=env_id, env_kwargs={"n_steps": 30, **env_kwargs}, algo=algo, total_timesteps=64,
                             algo_kwargs={"n_steps": 32, "batch_size": 32, "n_epochs": 1} if algo == "ppo"
                             else {"learning_starts": 16, "buffer_size": 100},
                             eval_freq=32, eval_episodes=1, out_dir=str(tmp_path), run_name=algo, tensorboard=False)
    return train_teacher(config, verbose=0)


def test_sb3_policy_teacher_reproduces_a_box_model_trained_under_rescaling(tmp_path):
    from stable_baselines3 import PPO

    path = _train(tmp_path, "teachgym/ToyCurriculum-v0")
    assert path.name == "model.safetensors"
    assert {p.name for p in path.parent.iterdir()} >= {"model.safetensors", "model.zip", "best_model.safetensors",
                                                        "best_model.zip", "evaluations.npz", "config.json"}
    teacher = teachgym.make_teacher("sb3-policy", path=str(path))
    assert teacher.algo == "ppo"
    env = gym.make("teachgym/ToyCurriculum-v0", n_steps=30)
    trained_on = wrap_for_sb3(gym.make("teachgym/ToyCurriculum-v0", n_steps=30))
    teacher.reset(env.action_space, env.observation_space, seed=0)
    model = PPO.load(path.with_suffix(".zip"), device="cpu")  # this test's own file: the SB3 copy of the model
    obs, info = env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        expected = trained_on.action(model.predict(obs, deterministic=True)[0])  # what the env got in training
        action = teacher.act(obs, info)
        np.testing.assert_array_equal(action, expected)
        assert env.action_space.contains(action)
        obs, *_ , info = env.step(rng.uniform(0, 1, 2).astype(np.float32))
    first = teachgym.run("teachgym/ToyCurriculum-v0", "sb3-policy", seed=1, teacher_kwargs={"path": str(path)},
                         n_steps=30)
    second = teachgym.run("teachgym/ToyCurriculum-v0", "sb3-policy", seed=1, teacher_kwargs={"path": str(path)},
                          n_steps=30)
    np.testing.assert_array_equal(first.lessons, second.lessons)


def test_sb3_policy_teacher_acts_like_a_dqn_model_on_discrete_lessons(tmp_path):
    from stable_baselines3 import DQN

    path = _train(tmp_path, "teachgym/ToyCurriculumDiscrete-v0", algo="dqn")
    teacher = teachgym.make_teacher("sb3-policy", path=str(path))
    assert teacher.algo == "dqn"
    model = DQN.load(path.with_suffix(".zip"), device="cpu")  # this test's own file: the SB3 copy of the model
    env = gym.make("teachgym/ToyCurriculumDiscrete-v0", n_steps=30)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    obs, info = env.reset(seed=0)
    for step in range(10):
        action = teacher.act(obs, info)
        assert action == int(model.predict(obs, deterministic=True)[0])
        obs, *_, info = env.step(step % env.action_space.n)
    stochastic = teachgym.make_teacher("sb3-policy", path=str(path), deterministic=False)
    runs = [teachgym.run("teachgym/ToyCurriculumDiscrete-v0", stochastic, seed=3, n_steps=30) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].lessons, runs[1].lessons)


def test_sb3_policy_teacher_refuses_a_missing_model_and_other_spaces(tmp_path):
    with pytest.raises(teachgym.ConfigError, match="path"):
        teachgym.make_teacher("sb3-policy")
    (tmp_path / "junk.safetensors").write_bytes(b"not a teacher file")
    with pytest.raises(teachgym.ConfigError, match="is not a teacher file"):
        teachgym.make_teacher("sb3-policy", path=str(tmp_path / "junk.safetensors"))
    path = _train(tmp_path, "teachgym/ToyCurriculum-v0")
    with pytest.raises(teachgym.ConfigError, match="algo is 'a2c' but .* holds a ppo policy"):
        teachgym.make_teacher("sb3-policy", path=str(path), algo="a2c")
    teacher = teachgym.make_teacher("sb3-policy", path=str(path))
    other = gym.make("teachgym/GridworldCurriculum-v0", n_steps=10)
    with pytest.raises(teachgym.ConfigError, match="acts in"):
        teacher.reset(other.action_space, other.observation_space, seed=0)
    with pytest.raises(teachgym.ConfigError, match="algo 'dqn' needs Discrete"):
        _train(tmp_path, "teachgym/ToyCurriculum-v0", algo="dqn")


def test_training_script_parses_its_dataclass_with_field_docs(tmp_path):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "train_ppo_teacher", Path(__file__).resolve().parents[1] / "scripts" / "train_ppo_teacher.py")
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # dataclasses look their module up while the class is built
    spec.loader.exec_module(script)
    docs = field_docs(script.Args)
    assert set(docs) == {f for f in script.Args.__dataclass_fields__} and "TensorBoard" in docs["tensorboard"]
    args = parse_args(script.Args, ["--env-id", "x", "--env-kwargs", "n_steps=5", "a=b", "--no-tensorboard",
                                    "--run-name", "none", "--total-timesteps", "7"], use_tyro=False)
    assert (args.env_id, args.env_kwargs, args.tensorboard, args.run_name, args.total_timesteps) == \
        ("x", ["n_steps=5", "a=b"], False, None, 7)
    assert script.main(["--env-id", "teachgym/GridworldCurriculumDiscrete-v0", "--env-kwargs", "n_steps=20",
                        "--total-timesteps", "40", "--algo-kwargs", '{"n_steps": 20, "batch_size": 20}',
                        "--eval-freq", "0", "--out-dir", str(tmp_path), "--run-name", "cli", "--no-tensorboard"]) == 0
    assert (tmp_path / "cli" / "model.safetensors").is_file() and (tmp_path / "cli" / "model.zip").is_file()
