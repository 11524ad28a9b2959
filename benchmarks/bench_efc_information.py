"""How much can a tutor that sees only the log gain over round-robin on Flashcards-EFC-v1?

Round-robin (each item once every ``n_items`` steps) is hard to beat on the EFC
student: memory strength grows by one per review whatever the timing, and the
items differ only by their hidden difficulty ``theta``. A tutor that knew every
``theta`` could spend reviews where they pay (the true-recall Threshold tutor).
A tutor that sees only the log must infer ``theta`` from the answers, and this
benchmark bounds what that inference is worth with hand-made policies that are
*given* the model family and the population (``theta ~ LogNormal(log 0.077, 1)``,
``s = 1 + reviews``, introduction ``exp(N(4.5, 0.5))`` s before the session):

- ``bayes``: an exact grid posterior over each item's ``log theta`` from its
  answers (the answer at lag ``L`` with strength ``s`` is right with
  probability ``exp(-theta L / s)``), used by
  - ``threshold τ``: review the item whose posterior predictive recall is closest to ``τ``;
  - ``index H``: review the item with the largest expected gain in recall over
    the next ``H`` seconds from reviewing it now rather than not (a one-step
    lookahead index);
  - ``thompson H``: the same index for one ``theta`` per item drawn from the posterior;
- ``oracle``: the same threshold / index rules with the student's true ``theta``
  and memory (what a log-only tutor cannot have; an upper reference).

Protocol as ``bench_tutoring.py``: fixed students ``student_seed`` 0..9; each
rule's parameter is tuned on a grid with ``--tune-episodes`` episodes per
student (seeds disjoint from the evaluation's), then ``--episodes`` evaluation
episodes per student. Reported: mean per-step recall with a 95 % bootstrap CI
over students, and the paired difference to round-robin.

    python benchmarks/bench_efc_information.py --episodes 20
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from _common import bootstrap_ci, machine, pin_one_thread, record

TUNE_SEED = 1_000_000
GRID = np.linspace(math.log(0.077) - 4.0, math.log(0.077) + 4.0, 61)  # log theta
THETA = np.exp(GRID)
INTRO_NODES = np.exp(4.5 + 0.5 * np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
INTRO_WEIGHTS = np.exp(-0.5 * np.array([4.0, 1.0, 0.0, 1.0, 4.0]))
INTRO_WEIGHTS /= INTRO_WEIGHTS.sum()
RULES = {  # rule -> its parameter grid
    "round-robin": [None],
    "bayes threshold": [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
    "bayes index": [5.0, 10.0, 25.0, 50.0, 150.0],
    "bayes thompson": [10.0, 25.0, 50.0],
    "oracle threshold": [0.1, 0.15, 0.2, 0.25, 0.3, 0.35],
    "oracle index": [5.0, 10.0, 25.0, 50.0, 150.0],
}


def recall_gain(theta: np.ndarray, lag: np.ndarray, strength: np.ndarray, horizon: float, delay: float) -> np.ndarray:
    """Recall gained over the next ``horizon`` s by reviewing now rather than not; broadcasts over ``theta``."""
    ahead = np.arange(1, max(int(horizon / delay), 1) + 1) * delay
    theta, lag, strength = theta[..., None], lag[..., None], strength[..., None]
    return (np.exp(-theta * ahead / (strength + 1.0)) - np.exp(-theta * (lag + ahead) / strength)).sum(-1)


class Posterior:
    """Grid posterior over each item's ``log theta`` (first lags integrate over the unknown introduction time)."""

    def __init__(self, n_items: int):
        self.log_post = np.tile(-0.5 * (GRID - math.log(0.077)) ** 2, (n_items, 1))

    def weights(self) -> np.ndarray:
        w = np.exp(self.log_post - self.log_post.max(axis=1, keepdims=True))
        return w / w.sum(axis=1, keepdims=True)

    @staticmethod
    def lags(since: np.ndarray, reviews: np.ndarray) -> np.ndarray:
        """Lag of each item's next answer at each introduction node, shape (n, nodes)."""
        return since[:, None] + np.where(reviews == 0, 1.0, 0.0)[:, None] * INTRO_NODES[None, :]

    def recall(self, since: np.ndarray, reviews: np.ndarray) -> np.ndarray:
        """Recall of every item at every grid point, shape (n, grid)."""
        lags = self.lags(since, reviews)
        p = np.exp(-THETA[None, :, None] * lags[:, None, :] / (1.0 + reviews)[:, None, None])
        return p @ INTRO_WEIGHTS

    def update(self, item: int, recall_at_grid: np.ndarray, correct: bool) -> None:
        likelihood = recall_at_grid if correct else 1.0 - recall_at_grid
        self.log_post[item] += np.log(np.maximum(likelihood, 1e-300))


def play(rule: str, value, student: int, seed: int) -> float:
    """Mean per-step recall of one episode of ``rule`` on one fixed student."""
    import gymnasium as gym

    import teachgym
    from teachgym.loop import teacher_seed

    env = gym.make("teachgym/Flashcards-EFC-v1", student_seed=student).unwrapped
    obs, info = env.reset(seed=seed)
    n, delay, horizon = env.n_items, env.delay, env.n_steps
    learner, posterior = env.student, Posterior(n)
    rng = np.random.default_rng(teacher_seed(seed))
    tutor = None
    if rule == "round-robin":
        tutor = teachgym.make_teacher("round-robin")
        tutor.reset(env.action_space, env.observation_space, seed=teacher_seed(seed))
    rewards = []
    for t in range(horizon):
        reviews, since = obs[:n].astype(np.float64), obs[2 * n:3 * n].astype(np.float64)
        window = min(float(value or 0.0), (horizon - t) * delay)
        at_grid = posterior.recall(since, reviews)
        if tutor is not None:
            action = tutor.act(obs, info)
        elif rule.startswith("oracle"):
            lag, strength = learner.now - learner.last_seen, learner.strength
            if rule == "oracle threshold":
                action = int(np.argmin(np.abs(learner.recall_probabilities() - value)))
            else:
                action = int(np.argmax(recall_gain(learner.params["theta"], lag, strength, window, delay)))
        elif rule == "bayes threshold":
            action = int(np.argmin(np.abs(np.sum(posterior.weights() * at_grid, axis=1) - value)))
        else:
            weights, lags = posterior.weights(), posterior.lags(since, reviews)
            if rule == "bayes thompson":
                theta = np.array([THETA[rng.choice(GRID.size, p=w)] for w in weights])[:, None]
            else:
                theta = THETA[None, :]
            gains = np.stack([recall_gain(theta, lags[:, j:j + 1], 1.0 + reviews[:, None], window, delay)
                              for j in range(INTRO_NODES.size)], axis=-1) @ INTRO_WEIGHTS
            action = int(np.argmax(gains[:, 0] if rule == "bayes thompson" else np.sum(weights * gains, axis=1)))
        obs, reward, terminated, truncated, info = env.step(action)
        if tutor is not None:
            tutor.update(action, reward, obs, info)
        posterior.update(action, at_grid[action], info["outcome"] > 0.5)
        rewards.append(reward)
    return float(np.mean(rewards))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--tune-episodes", type=int, default=2)
    parser.add_argument("--rules", default=",".join(RULES))
    args = parser.parse_args()
    pin_one_thread()
    print(f"# {machine()}\n# students {args.students}, episodes {args.episodes}, tuning episodes {args.tune_episodes}")
    rows, per_student, summary = [], {}, {}
    for rule in args.rules.split(","):
        if rule not in RULES:
            raise SystemExit(f"--rules: unknown rule {rule!r}; allowed: {', '.join(RULES)}")
        start, cpu = time.perf_counter(), time.process_time()
        chosen = []
        scores = np.zeros(args.students)
        for student in range(args.students):
            grid = RULES[rule]
            if len(grid) > 1:
                tuned = [np.mean([play(rule, v, student, TUNE_SEED + i) for i in range(args.tune_episodes)]) for v in grid]
                value = grid[int(np.argmax(tuned))]
            else:
                value = grid[0]
            chosen.append(value)
            scores[student] = np.mean([play(rule, value, student, seed) for seed in range(args.episodes)])
        per_student[rule] = scores
        low, high = bootstrap_ci(scores)
        tuned_text = "" if chosen[0] is None else f"{np.median(chosen):g}"
        diff = ""
        summary[rule] = {"tuned (median)": None if chosen[0] is None else float(np.median(chosen)),
                         "mean per-step recall": {"mean": scores.mean(), "ci95": [low, high]}}
        if "round-robin" in per_student and rule != "round-robin":
            d = scores - per_student["round-robin"]
            dl, dh = bootstrap_ci(d)
            diff = f"{d.mean():+.3f} [{dl:+.3f}, {dh:+.3f}]"
            summary[rule]["minus round-robin, paired"] = {"mean": d.mean(), "ci95": [dl, dh]}
        rows.append(f"| {rule} | {tuned_text} | {scores.mean():.3f} [{low:.3f}, {high:.3f}] | {diff} |")
        print(f"# {rule}: {time.perf_counter() - start:.0f} s wall, {time.process_time() - cpu:.0f} CPU-s", flush=True)
    print("\n| rule | tuned (median) | mean per-step recall [95 % CI] | minus round-robin, paired [95 % CI] |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    record("efc_information", "tutoring", summary, {"mean per-step recall per student": {
        rule: scores.tolist() for rule, scores in per_student.items()}},
        notes=f"{args.students} students x {args.episodes} episodes, parameters tuned per student on "
              f"{args.tune_episodes} episodes; 95 % bootstrap CI over students")


if __name__ == "__main__":
    main()
