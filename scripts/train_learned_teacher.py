"""Train a PPO teacher on the batched env over the train population; test it on held-out students.

    python scripts/train_learned_teacher.py --env-id teachgym/ToyCurriculumDiscrete-v0 --total-timesteps 2000000
    python scripts/train_learned_teacher.py --env-id teachgym/ToyCurriculum-v0 --history 2 --eval-seeds 20
    python scripts/train_learned_teacher.py --env-id teachgym/Flashcards-HLR-v1 --policy itemwise --history 1 \
        --gamma 0.9 --num-envs 16 --rollout-steps 100 --batch-size 400 --n-epochs 10 --ent-coef 0.001

Writes ``{out_dir}/{run_name}/``: ``teacher.safetensors`` (loads without unpickling),
``checkpoint.safetensors`` (the run resumes from it when started again with the same
``--run-name``), ``progress.csv`` (SB3's logger; TensorBoard too when installed),
``training.json`` (speed and where the time went) and ``evaluation.json`` (held-out
scores of the learned teacher and the bandits, paired differences with 95 %
bootstrap CIs). Arguments are parsed by tyro when installed, argparse otherwise.
The work is done by :mod:`teachgym.training.learned_teacher`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

from teachgym.cli import parse_kwargs
from teachgym.dataclass_cli import parse_args


@dataclass
class Args:
    """Train a PPO teacher on a student population and evaluate it on held-out students."""

    env_id: str = "teachgym/ToyCurriculumDiscrete-v0"
    """a teachgym env with a vector_entry_point and a population= argument"""
    env_kwargs: list[str] = field(default_factory=list)
    """env settings as key=value pairs (training and evaluation), e.g. n_steps=2000"""
    total_timesteps: int = 2_000_000
    """teacher steps to train for, summed over the batch"""
    num_envs: int = 256
    """students taught in parallel (many students, short rollouts: fewer policy calls per teacher step)"""
    history: int = 2
    """observations the policy sees at once"""
    seed: int = 0
    """seed of the networks and of the training students"""
    policy: str = "mlp"
    """"mlp" (SB3's MlpPolicy) or "itemwise" (tutoring envs: one network shared by the items; needs --history 1)"""
    gamma: float = 0.99
    """PPO's discount"""
    rollout_steps: int = 64
    """PPO n_steps per student between updates (num_envs * rollout_steps samples per update)"""
    batch_size: int = 2048
    """PPO minibatch size"""
    n_epochs: int = 4
    """PPO epochs over each rollout"""
    ent_coef: float = 0.01
    """PPO entropy bonus"""
    torch_threads: int = 1
    """torch threads while training (two ran about 7x slower than one on a shared 2-core machine)"""
    checkpoint_every: int = 500_000
    """teacher steps between checkpoints (0: none)"""
    out_dir: str = "runs/learned"
    """where the run folder goes"""
    run_name: str | None = None
    """run folder name (default {env}__ppo-h{history}__{seed}); an existing one resumes"""
    eval_seeds: int = 10
    """held-out students every teacher teaches (0: skip the evaluation)"""
    baselines: list[str] = field(default_factory=list)
    """teachers to compare with (default: every non-privileged curriculum teacher that fits)"""
    jobs: int = 2
    """processes for the evaluation runs"""
    progress: bool = True
    """show SB3's progress bar"""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(Args, argv)
    from teachgym.training import learned_teacher as lt

    config = lt.LearnedTeacherConfig(
        env_id=args.env_id, env_kwargs=parse_kwargs(args.env_kwargs, "env_kwargs"),
        total_timesteps=args.total_timesteps, num_envs=args.num_envs, history=args.history, seed=args.seed,
        policy=args.policy, gamma=args.gamma, rollout_steps=args.rollout_steps, batch_size=args.batch_size,
        n_epochs=args.n_epochs, ent_coef=args.ent_coef, torch_threads=args.torch_threads,
        checkpoint_every=args.checkpoint_every, out_dir=args.out_dir, run_name=args.run_name,
        eval_seeds=args.eval_seeds, baselines=list(args.baselines), jobs=args.jobs, progress=args.progress)
    path, report = lt.train(config)
    print(f"saved {path}: {report['steps_per_s']:.0f} teacher steps/s "
          f"(rollout {report['rollout_s']:.1f} s of which env {report['env_s']:.1f} s, update {report['update_s']:.1f} s)")
    if config.eval_seeds:
        baselines = config.baselines or lt.default_baselines(config.env_id, config.env_kwargs)
        teachers = {"learned": {"path": str(path), "policy": config.policy}, **{name: name for name in baselines}}
        scores = lt.evaluate(config.env_id, teachers, config.eval_seeds, config.env_kwargs, config.jobs)
        comparison = lt.paired_comparison(scores, "learned")
        (path.parent / "evaluation.json").write_text(json.dumps({"scores": scores, "paired": comparison}, indent=2))
        for name, row in sorted(comparison.items(), key=lambda kv: -kv[1]["baseline_mean"]):
            print(f"learned {row['learned_mean']:6.1f} vs {name:14s} {row['baseline_mean']:6.1f}: "
                  f"difference {row['mean_difference']:+6.1f} [{row['ci_low']:+.1f}, {row['ci_high']:+.1f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
