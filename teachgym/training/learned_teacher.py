"""Train a teacher with PPO on a population of students, then test it on students it has never seen.

The logic behind ``scripts/train_learned_teacher.py``:

1. **Train** SB3 PPO on the batched env (:class:`teachgym.training.vector_sb3.TeacherVecEnv`)
   over the ``train`` population: every episode is a new student, so the teacher
   must infer which student it faces (``history=k`` shows it its last ``k``
   observations). Progress bar, CSV logs (TensorBoard too when installed) and a
   checkpoint teacher file every ``checkpoint_every`` steps; a run started again with
   the same ``run_name`` resumes from its checkpoint.
2. **Evaluate** on the ``held_out`` population with the leaderboard's protocol:
   ``teachgym.run(env_id, teacher, seed)`` for the same seeds for every teacher,
   paired differences of the headline score per seed, 95 % percentile bootstrap CIs.
"""

from __future__ import annotations

import importlib.util
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from teachgym.validation import ConfigError, check_choice, check_float, check_int

#: the policy input of ``policy="itemwise"`` (:func:`teachgym.teachers.tutoring.ppo_tutor.tutor_features`)
ITEMWISE_FEATURES = "rates"


@dataclass
class LearnedTeacherConfig:
    """What to train and how to test it (each field is a ``--flag`` of the script)."""

    env_id: str = "teachgym/ToyCurriculumDiscrete-v0"
    """a teachgym env id with a vector_entry_point and a population= argument"""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """extra env arguments, for training and evaluation alike"""
    total_timesteps: int = 2_000_000
    """teacher steps to train for (summed over the batch)"""
    num_envs: int = 256
    """students taught in parallel (many students, short rollouts: fewer policy calls per teacher step)"""
    history: int = 2
    """observations the policy sees at once (1: the current one)"""
    seed: int = 0
    learning_rate: float = 3e-4
    rollout_steps: int = 64
    """PPO n_steps per student between updates (num_envs * rollout_steps samples per update)"""
    batch_size: int = 2048
    n_epochs: int = 4
    gamma: float = 0.99
    ent_coef: float = 0.01
    net_arch: list[int] = field(default_factory=lambda: [64, 64])
    torch_threads: int | None = 1
    """torch intra-op threads while training (None: torch's default, one per core); on a shared 2-core
    machine two threads trained about 7x slower than one (benchmarks/bench_vector.py)"""
    policy: str = "mlp"
    """"mlp" (SB3's MlpPolicy on the stacked observations) or "itemwise" (tutoring envs: one network shared by the
    items on the log-scaled tutor's log with correct rates, teachgym.teachers.tutoring.itemwise_policy; history 1)"""
    checkpoint_every: int = 500_000
    """teacher steps between checkpoints (0: none)"""
    out_dir: str = "runs/learned"
    run_name: str | None = None
    progress: bool = True
    eval_seeds: int = 10
    """held-out students (seeds 0..eval_seeds-1) every teacher teaches"""
    baselines: list[str] = field(default_factory=list)
    """teachers to compare with (default: the registered non-privileged curriculum teachers for the action space)"""
    jobs: int = 2
    """processes for the evaluation runs"""

    def __post_init__(self) -> None:
        self.total_timesteps = check_int("total_timesteps", self.total_timesteps, low=1)
        self.num_envs = check_int("num_envs", self.num_envs, low=1)
        self.history = check_int("history", self.history, low=1, high=64)
        self.rollout_steps = check_int("rollout_steps", self.rollout_steps, low=2)
        self.batch_size = check_int("batch_size", self.batch_size, low=2)
        self.n_epochs = check_int("n_epochs", self.n_epochs, low=1)
        if self.torch_threads is not None:
            self.torch_threads = check_int("torch_threads", self.torch_threads, low=1, high=1024)
        self.learning_rate = check_float("learning_rate", self.learning_rate, low=0.0, low_open=True)
        self.eval_seeds = check_int("eval_seeds", self.eval_seeds, low=0)
        self.jobs = check_int("jobs", self.jobs, low=1)
        self.policy = check_choice("policy", self.policy, ("mlp", "itemwise"))
        if self.policy == "itemwise" and self.history != 1:
            raise ConfigError(f"history must be 1 with policy='itemwise' (the tutor's log holds the session), "
                              f"got {self.history}")
        if "population" in self.env_kwargs:
            raise ConfigError("env_kwargs must not set population: training uses 'train', evaluation 'held_out'")


def default_baselines(env_id: str, env_kwargs: dict[str, Any]) -> list[str]:
    """The registered non-privileged curriculum and env-family teachers that can teach ``env_id`` (not RL policies)."""
    import gymnasium as gym

    from teachgym.registry import compatibility, env_meta, teacher_meta, teacher_registry

    env = gym.make(env_id, **env_kwargs)
    names = []
    for name in teacher_registry.names():
        meta = teacher_meta(name)
        entry = str(teacher_registry.entry(name).entry_point)
        trained = ".learned." in entry or "sb3_policy" in entry or bool(meta.env_ids)  # env_ids: a trained policy
        families = ("curriculum", "generic", env_meta(env_id).family)
        if trained or meta.privileged or meta.required_kwargs or meta.family not in families:
            continue
        if not compatibility(name, env):
            names.append(name)
    env.close()
    return names


class _Timing:
    """SB3 callback: wall time of rollouts (env + policy) and of updates."""

    def __new__(cls, env):
        from stable_baselines3.common.callbacks import BaseCallback

        class Timing(BaseCallback):
            def __init__(self):
                super().__init__()
                self.rollout = self.update = 0.0
                self._mark = None

            def _on_rollout_start(self) -> None:
                now = time.perf_counter()
                if self._mark is not None:
                    self.update += now - self._mark
                self._mark = now

            def _on_rollout_end(self) -> None:
                now = time.perf_counter()
                self.rollout += now - self._mark
                self._mark = now

            def _on_training_end(self) -> None:
                if self._mark is not None:
                    self.update += time.perf_counter() - self._mark

            def _on_step(self) -> bool:
                return True

            def split(self) -> dict[str, float]:
                return {"rollout_s": self.rollout, "env_s": env.step_seconds,
                        "policy_s": self.rollout - env.step_seconds, "update_s": self.update}

        return Timing()


def _checkpointer(path: Path, every: int):
    from stable_baselines3.common.callbacks import BaseCallback

    from teachgym.training.safe_policy import save_teacher

    class Checkpoint(BaseCallback):
        def __init__(self):
            super().__init__()
            self._last = 0

        def _on_step(self) -> bool:
            if every and self.num_timesteps - self._last >= every:
                save_teacher(self.model, path)
                self._last = self.num_timesteps
            return True

    return Checkpoint()


def train(config: LearnedTeacherConfig, verbose: int = 0) -> tuple[Path, dict[str, Any]]:
    """Train as ``config`` says; return the teacher file and the training report (speed, time split)."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.logger import configure

    from teachgym.training.safe_policy import load_teacher_model, save_teacher
    from teachgym.training.vector_sb3 import TeacherVecEnv

    name = config.run_name or f"{config.env_id.replace('/', '-')}__ppo-h{config.history}__{config.seed}"
    run_dir = Path(config.out_dir) / name
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(asdict(config), indent=2))
    env = TeacherVecEnv(config.env_id, config.num_envs, config.history, config.seed, population="train",
                        **config.env_kwargs)
    policy, policy_kwargs = "MlpPolicy", {"net_arch": list(config.net_arch)}
    if config.policy == "itemwise":
        from teachgym.teachers.tutoring.itemwise_policy import ItemwisePolicy
        from teachgym.training.tutor_vec import TutorFeatures

        env, policy, policy_kwargs = TutorFeatures(env, ITEMWISE_FEATURES), ItemwisePolicy, {"linear_skip": True}
    checkpoint = run_dir / "checkpoint.safetensors"
    if checkpoint.is_file():
        model = load_teacher_model(checkpoint, env)
    else:
        model = PPO(policy, env, learning_rate=config.learning_rate, n_steps=config.rollout_steps,
                    batch_size=config.batch_size, n_epochs=config.n_epochs, gamma=config.gamma,
                    ent_coef=config.ent_coef, seed=config.seed, device="cpu", verbose=verbose,
                    policy_kwargs=policy_kwargs)
    formats = ["csv"] + (["tensorboard"] if importlib.util.find_spec("tensorboard") else [])
    model.set_logger(configure(str(run_dir), formats + (["stdout"] if verbose else [])))
    timing = _Timing(env)
    remaining = config.total_timesteps - model.num_timesteps
    start, done_before = time.perf_counter(), model.num_timesteps
    if remaining > 0:
        from teachgym.utils.threads import torch_threads

        with torch_threads(config.torch_threads):
            model.learn(remaining, callback=[timing, _checkpointer(checkpoint, config.checkpoint_every)],
                        reset_num_timesteps=False, progress_bar=config.progress)
    seconds = time.perf_counter() - start
    path = save_teacher(model, run_dir / "teacher.safetensors")
    save_teacher(model, checkpoint)
    steps = model.num_timesteps - done_before
    report = {"teacher_steps": int(steps), "seconds": seconds, "steps_per_s": steps / seconds if seconds else None,
              **timing.split(), "run_dir": str(run_dir)}
    (run_dir / "training.json").write_text(json.dumps(report, indent=2))
    env.close()
    return path, report


def _score(args: tuple[str, Any, int, dict[str, Any], str]) -> float:
    from teachgym.loop import run
    from teachgym.utils.threads import torch_threads

    env_id, teacher, seed, env_kwargs, population = args
    if isinstance(teacher, dict) and teacher.get("policy") == "itemwise":  # an item-shared tutor file
        from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

        teacher = PPOTutor(model_path=teacher["path"], features=ITEMWISE_FEATURES)
    elif isinstance(teacher, dict):  # a learned teacher file: built in the worker
        from teachgym.teachers.learned.ppo_teacher import LearnedTeacher

        teacher = LearnedTeacher(path=teacher["path"], deterministic=teacher.get("deterministic", True))
    with torch_threads(1):
        return run(env_id, teacher, seed, population=population, **env_kwargs).score


def evaluate(env_id: str, teachers: dict[str, Any], seeds: int, env_kwargs: dict[str, Any] | None = None,
             jobs: int = 2, population: str = "held_out", first_seed: int = 0) -> dict[str, list[float]]:
    """Headline scores on held-out students ``0..seeds-1``: ``{name: [score per seed]}``.

    ``population="train"`` (with ``first_seed`` past the training seeds) scores students of the training
    population instead, to tell what does not generalise from what was not learned.

    ``teachers`` maps a name to a registered teacher name or ``{"path": teacher file}`` (with
    ``"policy": "itemwise"`` for an item-shared tutor, ``"deterministic": False`` to draw each lesson from
    the policy's probabilities with the teacher's own RNG instead of taking its most likely one).
    """
    env_kwargs = dict(env_kwargs or {})
    tasks = [(env_id, spec, seed, env_kwargs, population) for spec in teachers.values()
             for seed in range(first_seed, first_seed + seeds)]
    with ProcessPoolExecutor(jobs) as pool:
        scores = list(pool.map(_score, tasks))
    return {name: scores[k * seeds:(k + 1) * seeds] for k, name in enumerate(teachers)}


def paired_comparison(scores: dict[str, list[float]], learned: str, seed: int = 0) -> dict[str, dict[str, float]]:
    """Per baseline: mean paired difference ``learned - baseline`` over seeds, its 95 % bootstrap CI, wins."""
    from teachgym.leaderboard.stats import bootstrap_ci

    mine = np.asarray(scores[learned])
    out = {}
    for name, theirs in scores.items():
        if name == learned:
            continue
        diff = mine - np.asarray(theirs)
        low, high = bootstrap_ci(diff, statistic=np.mean, rng=np.random.default_rng(seed))
        out[name] = {"mean_difference": float(diff.mean()), "ci_low": low, "ci_high": high,
                     "baseline_mean": float(np.mean(theirs)), "learned_mean": float(mine.mean()),
                     "excludes_zero": bool(low > 0 or high < 0)}
    return out
