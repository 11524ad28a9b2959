"""Multi-agent teaching: PAIRED regret vs domain randomisation vs learning progress, co-teaching, speed.

    python benchmarks/bench_multiagent.py            # about 3 minutes on a loaded 2-core machine
    python benchmarks/bench_multiagent.py --seeds 3 --rounds 1500 --episodes 20

1. Design game (gridworld): the student and (PAIRED) the antagonist are tabular
   Q-learners playing through the ParallelEnv; the teacher is domain
   randomisation (``random``: a uniform arm each round), or one reward bandit
   (:class:`RewardBanditTeacher`) on the ``learning_progress`` or ``regret``
   objective. Score: the student's exact greedy success on the gridworld
   curriculum env's held-out ``TEST_SET`` after ``--rounds`` rounds (percent).
2. Co-teaching: one reward bandit per teacher over its claim levels, kept
   across ``--episodes`` games; the last game's mean and worst-subject
   competence, per subject, with ``shared_weight`` 0 (competitive) and 1
   (cooperative); "all claim everything" is the fixed reference.
3. Steps per second of every registered env with random agents (mask-respecting),
   ParallelEnv and AEC, timed as PettingZoo's ``performance_benchmark`` does.

Results: ``benchmarks/results/multiagent.json`` (via ``_common.record``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bootstrap_ci, pin_one_thread, record  # noqa: E402


def summarise(values) -> dict:
    values = np.asarray(values, dtype=np.float64)
    low, high = bootstrap_ci(values)
    return {"mean": round(float(values.mean()), 2), "ci95": [round(low, 2), round(high, 2)], "n": int(values.size)}


def design_game(seeds: int, rounds: int) -> tuple[dict, dict]:
    from teachgym import make_teacher
    from teachgym.envs.multiagent.partners import RewardBanditTeacher, score_design_teacher

    setups = {
        "domain randomisation": (lambda: make_teacher("random"), "learning_progress"),
        "learning progress bandit": (RewardBanditTeacher, "learning_progress"),
        "PAIRED regret bandit": (RewardBanditTeacher, "regret"),
    }
    summary, per_seed = {}, {}
    for name, (make, objective) in setups.items():
        scores, solved = [], []
        for seed in range(seeds):
            result = score_design_teacher(make(), seed=seed, n_rounds=rounds, objective=objective)
            scores.append(result.score)
            solved.append(100.0 * result.student_successes)
        summary[name] = {"held_out_success_pct": summarise(scores), "train_episodes_solved_pct": summarise(solved)}
        per_seed[name] = {"held_out_success_pct": scores, "train_episodes_solved_pct": solved}
        print(f"design game  {name:26s} held-out {summary[name]['held_out_success_pct']}", flush=True)
    return summary, per_seed


def co_teaching_game(shared_weight: float, seed: int, episodes: int, fixed: bool) -> dict:
    from teachgym.envs.multiagent.co_teaching import CoTeachingEnv
    from teachgym.envs.multiagent.partners import RewardBanditTeacher

    env = CoTeachingEnv(shared_weight=shared_weight)
    teachers = {}
    for i, agent in enumerate(env.possible_agents):
        teachers[agent] = RewardBanditTeacher(epsilon=0.1, step_size=0.05)
        teachers[agent].reset(env.action_space(agent), env.observation_space(agent), seed=seed * 100 + i)
    for episode in range(episodes):
        obs, infos = env.reset(seed=seed * 1000 + episode)
        shares = np.zeros(env.n_teachers)
        while env.agents:
            actions = {a: env.levels if fixed else teachers[a].act(obs[a], infos[a]) for a in env.agents}
            obs, rewards, _, _, infos = env.step(actions)
            for i, agent in enumerate(env.possible_agents):
                teachers[agent].update(actions[agent], rewards[agent], obs[agent], infos[agent])
                shares[i] += infos[agent]["share"]
    last = infos["teacher_0"]
    return {"score": last["score"], "worst_subject": last["worst_subject"],
            "competence": (100.0 * last["competence"]).tolist(), "share": (shares / env.n_steps).tolist()}


def co_teaching(seeds: int, episodes: int) -> tuple[dict, dict]:
    setups = {"competitive bandits (shared_weight=0)": (0.0, False),
              "cooperative bandits (shared_weight=1)": (1.0, False),
              "all claim everything (reference)": (0.0, True)}
    summary, per_seed = {}, {}
    for name, (weight, fixed) in setups.items():
        runs = [co_teaching_game(weight, seed, episodes, fixed) for seed in range(seeds)]
        per_seed[name] = runs
        summary[name] = {
            "mean_competence_pct": summarise([r["score"] for r in runs]),
            "worst_subject_pct": summarise([r["worst_subject"] for r in runs]),
            "competence_per_subject_pct": np.round(np.mean([r["competence"] for r in runs], axis=0), 1).tolist(),
            "budget_share_per_subject": np.round(np.mean([r["share"] for r in runs], axis=0), 3).tolist(),
        }
        print(f"co-teaching  {name:40s} {summary[name]}", flush=True)
    return summary, per_seed


def speed(seconds: float) -> dict:
    from teachgym.envs import multiagent

    out = {}
    for env_id in multiagent.env_ids():
        rng = np.random.default_rng(0)
        env = multiagent.make(env_id)
        obs, _ = env.reset(seed=0)
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            actions = {}
            for agent in env.agents:
                mask = obs[agent].get("action_mask") if isinstance(obs[agent], dict) else None
                actions[agent] = int(rng.choice(np.flatnonzero(mask))) if mask is not None \
                    else env.action_space(agent).sample()
            obs, *_ = env.step(actions)
            steps += 1
            if not env.agents:
                obs, _ = env.reset()
        parallel = steps / (time.perf_counter() - start)
        # AEC turns per second, the loop of pettingzoo.test.performance_benchmark (one agent per turn).
        aec = multiagent.make_aec(env_id)
        aec.reset(seed=0)
        turns, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for agent in aec.agent_iter(aec.num_agents):
                observation, _, termination, truncation, _ = aec.last()
                if termination or truncation:
                    action = None
                elif isinstance(observation, dict) and "action_mask" in observation:
                    action = int(rng.choice(np.flatnonzero(observation["action_mask"])))
                else:
                    action = aec.action_space(agent).sample()
                aec.step(action)
                turns += 1
            if not aec.agents:
                aec.reset()
        out[env_id] = {"parallel_steps_per_s": round(parallel), "aec_turns_per_s": round(turns / (time.perf_counter() - start))}
        print(f"speed        {env_id:48s} {out[env_id]}", flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3000, help="design-game rounds (student episodes) per run")
    parser.add_argument("--episodes", type=int, default=30, help="co-teaching games the bandits learn over")
    parser.add_argument("--speed-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    pin_one_thread()
    warnings.simplefilter("ignore", UserWarning)
    start = time.time()
    design_summary, design_seeds = design_game(args.seeds, args.rounds)
    co_summary, co_seeds = co_teaching(args.seeds, args.episodes)
    speeds = speed(args.speed_seconds)
    summary = {"design_game": design_summary, "co_teaching": co_summary, "speed": speeds,
               "wall_seconds": round(time.time() - start, 1)}
    path = record("multiagent", "multiagent", summary, {"design_game": design_seeds, "co_teaching": co_seeds},
                  notes=f"design game: {args.rounds} rounds per run, Q-learning student/antagonist, held-out = "
                        "gridworld TEST_SET (40 tasks), exact greedy success; co-teaching: default env, "
                        f"{args.episodes} games per run; CIs: bootstrap over {args.seeds} seeds; speeds measured "
                        "one env after the other in one run on a shared machine (compare ratios only)")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
