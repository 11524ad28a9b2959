"""Flashcards: choose which item a simulated learner reviews next (Reddy et al., 2017)."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from teachgym.env import TeacherEnv
from teachgym.envs.tutoring.tutor_log import tutor_log_fields, write_log
from teachgym.lessons import DiscreteLessons
from teachgym.validation import check_choice, check_float, check_int

LOG_EPS = 1e-9  # Reddy et al.'s epsilon in log(eps + p)


def _student_class(model: str):
    # Imported here so that making one env imports only its own student.
    if model == "efc":
        from teachgym.students.tutoring.forgetting import EFCStudent

        return EFCStudent
    if model == "hlr":
        from teachgym.students.tutoring.forgetting import HLRStudent

        return HLRStudent
    from teachgym.students.tutoring.actr import ACTRStudent

    return ACTRStudent


class FlashcardsEnv(TeacherEnv):
    """Schedule flashcard reviews for a simulated learner who forgets.

    ## Description

    A student must remember ``n_items`` items. Each teacher step, ``delay``
    seconds pass and then the student reviews the item the teacher chose: it
    answers correctly with its current recall probability of that item, sees
    the answer, and its memory of the item is refreshed. The memory model is
    one of (see :mod:`teachgym.students.tutoring`):

    - ``model="efc"`` (``Flashcards-EFC-v0``): exponential forgetting curve,
      ``p = exp(-theta dt / s)``, ``theta ~ LogNormal(log 0.077, 1)``, ``s`` = 1 + reviews;
    - ``model="hlr"`` (``Flashcards-HLR-v0``): half-life regression,
      ``p = exp(-dt / h)``, ``log h = attempts + correct + d_item`` (Reddy et al.'s e-base);
    - ``model="actr"`` (``Flashcards-ACTR-v0``): ACT-R activation with the
      Pavlik-Anderson spacing effect (power-law forgetting).

    Every reset draws a new student (new item parameters) from the model's
    population, unless ``student_seed`` fixes one student, so a good tutor must
    personalise from what it observes. Defaults follow Reddy, Levine & Dragan
    (2017, "Accelerating Human Learning with Deep Reinforcement Learning"): 30
    items, 200 steps, a constant 5 s delay.

    ## Action Space

    ``Discrete(n_items)``: the item to review. Anything else raises
    :class:`teachgym.InvalidLessonError`.

    ## Observation Space

    ``Box(0, high, (3 n_items + 1,), float32)`` (``4 n_items + 1`` with ``oracle=True``),
    the tutor's log of the session (no hidden parameters):

    | index                  | observation                                              |
    |------------------------|----------------------------------------------------------|
    | 0 .. n-1               | reviews of each item this session                        |
    | n .. 2n-1              | correct answers on each item this session                |
    | 2n .. 3n-1             | seconds since each item's last review (since the session |
    |                        | start if not yet reviewed)                               |
    | 3n .. 4n-1 (oracle)    | the student's true recall probability of each item now   |
    | last                   | fraction of the budget used                              |

    The reset ``info["tutor_log"]`` describes this layout (field slices, ``delay``,
    ``time_unit``) so tutors can read it.

    ## Rewards

    ``reward_mode="likelihood"`` (default): the mean recall probability over
    all items after the review. ``reward_mode="log_likelihood"``: the mean of
    ``log(1e-9 + p)``. The episode's mean reward under ``"likelihood"`` is the
    mean per-step recall that Reddy et al. report.

    ## Starting State

    Clock at 0; no reviews logged. Each item was introduced
    ``exp(N(4.5, 0.5))`` seconds (about 90 s) before the session, so every item
    starts with recall probability in ``[0, 1]`` (Reddy et al.'s code drew these
    times after the start, which gave p > 1; fixed here).

    ## Episode End

    Never terminates; truncated after ``n_steps`` reviews. ``info["score"]``
    (reset, every ``score_every`` steps, last step) is the mean recall
    probability over items at that moment; ``info["outcome"]`` is 1.0 when the
    student recalled the reviewed item and 0.0 otherwise.

    ## Arguments

    ```python
    import gymnasium as gym, teachgym
    env = gym.make("teachgym/Flashcards-HLR-v0", n_items=30, n_steps=200, delay=5.0,
                   reward_mode="likelihood", oracle=False, student_seed=None)
    ```

    ``student_kwargs`` pass model parameters to the student (e.g. ``{"base": 2.0}``
    for HLR with true half-lives).

    ## Version History

    * v0: initial version.
    """

    MODELS = ("efc", "hlr", "actr")
    REWARD_MODES = ("likelihood", "log_likelihood")

    def __init__(self, model: str = "efc", n_items: int = 30, n_steps: int = 200, delay: float = 5.0,
                 reward_mode: str = "likelihood", oracle: bool = False, student_seed: int | None = None,
                 student_kwargs: dict | None = None, score_every: int | None = None):
        self.model = check_choice("model", model, self.MODELS)
        self.reward_mode = check_choice("reward_mode", reward_mode, self.REWARD_MODES)
        self.delay = check_float("delay", delay, low=0.0, low_open=True, high=1e7)
        self.oracle = bool(oracle)
        self.student = _student_class(self.model)(n_items=n_items, student_seed=student_seed, **(student_kwargs or {}))
        self.n_items = self.student.n_items
        super().__init__(DiscreteLessons(self.n_items, names=("item",)), n_steps=n_steps, score_every=score_every)
        self._fields = tutor_log_fields(self.n_items, self.oracle)
        horizon = float(self.n_steps)
        high = np.concatenate([np.full(2 * self.n_items, horizon), np.full(self.n_items, horizon * self.delay),
                               np.ones(self.n_items if self.oracle else 0), [1.0]])
        self.observation_space = spaces.Box(np.zeros_like(high, dtype=np.float32), high.astype(np.float32),
                                            dtype=np.float32)

    def _reset_student(self, rng: np.random.Generator) -> None:
        self.student.reset(rng)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = super().reset(seed=seed, options=options)
        info["tutor_log"] = {"n_items": self.n_items, "delay": self.delay, "time_unit": "s",
                             "fields": {k: list(v) for k, v in self._fields.items()}}
        return obs, info

    def _teach(self, task: np.ndarray) -> tuple[float, float]:
        self.student.advance(self.delay)
        outcome = self.student.learn(task).outcome
        recall = self.student.recall_probabilities()
        if self.reward_mode == "likelihood":
            return outcome, float(recall.mean())
        return outcome, float(np.log(LOG_EPS + recall).mean())

    def _observation(self) -> np.ndarray:
        s = self.student
        since = s.now - np.where(np.isnan(s.last_review), 0.0, s.last_review)
        return write_log(self.observation_space, s.attempts, s.correct, since,
                         s.recall_probabilities() if self.oracle else None, self._t / self.n_steps)

    def score(self) -> float:
        return float(self.student.recall_probabilities().mean())

    def easy_to_hard(self) -> dict:
        # No item is known to be easier: the deck order, new cards first, is the hand-made schedule.
        return {"order": list(range(self.n_items))}
