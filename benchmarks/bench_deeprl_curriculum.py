"""Curriculum effect on the deep-RL envs: target-only vs linear easy->target vs uniform random.

Each condition is a teacher driving ``teachgym.run`` on the env's defaults (the
MountainCar default is PPO, 4 envs, 75 lessons x 2048 = 153,600 student steps):

- ``target``: always the env's hardest task (``easy_to_hard()["hard"]``: the default car);
- ``linear``: linear from the easiest to the hardest task over the first half
  of the budget, then the hardest task (``linear@0.8``: over the first 80 %);
- ``sliding``: the registered ``easy-to-hard`` teacher with a sliding window of
  width 0.1 and no review (a linear sweep that reaches the hardest task at the end);
- ``random``: uniform over the lesson box;
- any registered teacher name (``alp-gmm``, ...).

One JSON per run goes to ``--out-dir`` (reused when present, so a killed sweep
resumes). Prints per-seed scores, mean +- std and a bootstrap 95 % CI.

    python benchmarks/bench_deeprl_curriculum.py --env teachgym/MountainCarCurriculum-v0 --seeds 3
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from _common import machine, pin_one_thread
from _common import record as write_record


def make_condition(name: str):
    import numpy as np
    from gymnasium import spaces

    import teachgym
    from teachgym.teachers.generic.easy_to_hard import EasyToHardTeacher

    class TargetOnlyTeacher(teachgym.Teacher):
        """Always the hardest task the env publishes (training on the target task alone)."""

        supported_spaces = (spaces.Box,)

        def act(self, obs, info):
            if "easy_to_hard" in info:
                self._target = np.asarray(info["easy_to_hard"]["hard"], dtype=self.action_space.dtype)
            return self._target.copy()

    class LinearScheduleTeacher(teachgym.Teacher):
        """Easy to hard linearly over the first ``reach_at`` of the budget, then the hard task.

        Half the budget on the hard task by default: with ``reach_at=0.8`` the
        MountainCar student lingers on cars where full throttle right wins and
        ends with too few lessons on the default car (benchmarks/RESULTS.md).
        """

        supported_spaces = (spaces.Box,)

        def __init__(self, reach_at: float = 0.5):
            super().__init__()
            self.reach_at = reach_at

        def act(self, obs, info):
            if "easy_to_hard" in info:
                self._easy = np.asarray(info["easy_to_hard"]["easy"], dtype=np.float64)
                self._hard = np.asarray(info["easy_to_hard"]["hard"], dtype=np.float64)
            progress = min(1.0, float(info["budget_used"]) / self.reach_at)
            task = self._easy + progress * (self._hard - self._easy)
            return np.clip(task, self.action_space.low, self.action_space.high).astype(self.action_space.dtype)

    if name == "target":
        return TargetOnlyTeacher()
    if name == "linear":
        return LinearScheduleTeacher()
    if name.startswith("linear@"):  # linear@0.8: reach the hard task at 80 % of the budget
        return LinearScheduleTeacher(reach_at=float(name.removeprefix("linear@")))
    if name == "sliding":
        return EasyToHardTeacher(window="sliding", width=0.1, review=0.0)
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="teachgym/MountainCarCurriculum-v0")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--conditions", default="target,linear,sliding,random")
    parser.add_argument("--env-kwargs", default="{}", help="JSON object of env arguments")
    parser.add_argument("--out-dir", default="runs/bench_deeprl")
    parser.add_argument("--name", default=None,
                        help="result name (benchmarks/results/<name>.json); default deeprl_<env family>_curriculum")
    args = parser.parse_args()
    pin_one_thread()
    import numpy as np
    from scipy.stats import bootstrap

    import teachgym

    env_kwargs = json.loads(args.env_kwargs)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}\nload average at start: {os.getloadavg()}\n")
    print("| env | condition | score per seed | mean ± std | 95 % CI | s/run |")
    print("|---|---|---|---|---|---:|")
    summary, per_seed = {}, {}
    for condition in args.conditions.split(","):
        scores, times = [], []
        for seed in range(args.seeds):
            path = out_dir / f"{args.env.replace('/', '-')}__{condition}__{seed}.json"
            if path.exists():
                record = json.loads(path.read_text())
            else:
                result = teachgym.run(args.env, make_condition(condition), seed=seed, **env_kwargs)
                record = {"score": result.score, "wall_time": result.wall_time, "curve": result.curve,
                          "tasks": result.tasks.tolist(), "load": os.getloadavg()}
                path.write_text(json.dumps(record))
            scores.append(record["score"])
            times.append(record["wall_time"])
        scores = np.asarray(scores)
        if np.ptp(scores) > 0 and len(scores) > 1:
            ci = bootstrap((scores,), np.mean, confidence_level=0.95, random_state=0).confidence_interval
            ci_text = f"[{ci.low:.0f}, {ci.high:.0f}]"
            bounds = [float(ci.low), float(ci.high)]
        else:
            ci_text = f"[{scores.mean():.0f}, {scores.mean():.0f}]"
            bounds = [float(scores.mean())] * 2
        summary[condition] = {"score": {"mean": scores.mean(), "std": scores.std(), "ci95": bounds},
                              "s/run": float(np.mean(times))}
        per_seed[condition] = scores.tolist()
        print(f"| {args.env.removeprefix('teachgym/')} | {condition} | {', '.join(f'{s:.0f}' for s in scores)} | "
              f"{scores.mean():.1f} ± {scores.std():.1f} | {ci_text} | {np.mean(times):.0f} |", flush=True)
    print(f"\nload average at end: {os.getloadavg()}")
    family = args.env.removeprefix("teachgym/").split("Curriculum")[0].lower()
    write_record(args.name or f"deeprl_{family}_curriculum", "deeprl", summary, per_seed,
                 notes=f"{args.env}, env kwargs {env_kwargs or 'none'}; 95 % bootstrap CI (BCa) over seeds; runs "
                       f"cached in {args.out_dir} are reused")


if __name__ == "__main__":
    main()
