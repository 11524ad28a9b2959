"""Train a PPO (or DQN, for Discrete lessons) teacher on a teachgym env, and enter it into teachgym.run.

    python scripts/train_ppo_teacher.py --env-id teachgym/GridworldCurriculum-v0 --total-timesteps 100000
    python scripts/train_ppo_teacher.py --env-id teachgym/ToyCurriculumDiscrete-v0 --algo dqn \
        --env-kwargs n_steps=2000
    teachgym run --env teachgym/GridworldCurriculum-v0 --teacher sb3-policy \
        --teacher-kwarg path=runs/teachers/<run-name>/model.safetensors

Arguments are parsed by tyro when it is installed, by argparse otherwise
(``--help`` lists them). The work is done by
:func:`teachgym.training.sb3_teacher.train_teacher`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

from teachgym.cli import parse_kwargs
from teachgym.dataclass_cli import parse_args


@dataclass
class Args:
    """Train an RL teacher with Stable-Baselines3 on a teachgym teacher env."""

    env_id: str = "teachgym/GridworldCurriculum-v0"
    """the teacher env to train on (any registered id whose spaces SB3 supports)"""
    env_kwargs: list[str] = field(default_factory=list)
    """env settings as key=value pairs (values parsed as JSON when they can be), e.g. n_steps=200"""
    algo: str = "auto"
    """ppo, a2c, dqn (Discrete lessons) or sac (Box lessons); auto = ppo"""
    total_timesteps: int = 100_000
    """teacher steps to train for (one teacher step = one lesson of the env)"""
    seed: int = 0
    """seed of the teacher's networks and of the envs it trains on"""
    n_envs: int = 1
    """teacher envs stepped together"""
    algo_kwargs: str = "{}"
    """JSON object of extra algorithm arguments, e.g. '{"n_steps": 500, "gamma": 0.995}'"""
    eval_freq: int = 10_000
    """evaluate the deterministic teacher every this many teacher steps (0: never)"""
    eval_episodes: int = 3
    """teaching episodes per evaluation"""
    out_dir: str = "runs/teachers"
    """where the run folder (model.safetensors, model.zip, best_model.*, evaluations.npz, config.json, tb/) goes"""
    run_name: str | None = None
    """run folder name; default {env}__{algo}__{seed}__{unix time}"""
    tensorboard: bool = True
    """log to TensorBoard under the run folder (only if tensorboard is installed)"""
    device: str = "cpu"
    """torch device of the teacher ("cpu" is fastest for small MLPs)"""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(Args, argv)
    from teachgym.training.sb3_teacher import TeacherTraining, train_teacher

    config = TeacherTraining(env_id=args.env_id, env_kwargs=parse_kwargs(args.env_kwargs, "env_kwargs"),
                             algo=args.algo, total_timesteps=args.total_timesteps, seed=args.seed,
                             n_envs=args.n_envs, algo_kwargs=json.loads(args.algo_kwargs), eval_freq=args.eval_freq,
                             eval_episodes=args.eval_episodes, out_dir=args.out_dir, run_name=args.run_name,
                             tensorboard=args.tensorboard, device=args.device)
    path = train_teacher(config)
    print(f"saved {path}\nrun it: {run_command(args.env_id, config.env_kwargs, path)}")
    return 0


def run_command(env_id: str, env_kwargs: dict, path) -> str:
    """The ``teachgym run`` line that evaluates the trained teacher on the env settings it trained with."""
    import shlex

    parts = ["teachgym", "run", "--env", env_id]
    for key, value in env_kwargs.items():
        parts += ["--env-kwarg", f"{key}={_kwarg_text(value)}"]
    parts += ["--teacher", "sb3-policy", "--teacher-kwarg", f"path={path}"]
    return shlex.join(parts)


def _kwarg_text(value) -> str:
    """``value`` as ``teachgym.cli.parse_kwargs`` reads it back: JSON, except strings that do not parse as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError:
            return value
    return json.dumps(value)


if __name__ == "__main__":
    sys.exit(main())
