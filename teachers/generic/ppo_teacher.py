"""``ppo-teacher``: the PPO teacher trained for this env, shipped with the package.

For each env in :data:`teachgym.teachers.learned.ppo_teacher.SHIPPED_ENVS` the
package holds a policy trained with PPO on the env's ``train`` student population
(``teachers/learned/weights/<env>.safetensors``, loaded without unpickling) and a
card (``<env>.json``: the env, its spaces and tutor's log, the policy kind, whether it
acts with its most likely lesson or draws one, the training command and steps).
Retrain and ship one with ``python benchmarks/bench_learned_tutor.py --ship``
(Flashcards-HLR) or ``python benchmarks/bench_learned_gridworld.py --ship``
(GridworldCurriculumDiscrete).
"""

from __future__ import annotations

from typing import Any, ClassVar

from gymnasium import spaces

from teachgym import info as keys
from teachgym.teacher import Teacher
from teachgym.teachers.learned.ppo_teacher import SHIPPED_ENVS, WEIGHTS, LearnedTeacher, shipped_card
from teachgym.validation import ConfigError


class PPOTeacher(Teacher):
    """The PPO teacher shipped for this env, trained on its ``train`` student population.

    It picks the shipped weights whose env has this env's spaces (and, for
    tutoring envs, the same tutor's log: items, delay, answer timing) and refuses
    any other env with an error naming the envs it ships for; the registry also
    marks it compatible with those env ids only (:attr:`env_ids`), since envs of one
    family can share spaces. Each shipped env has a card (``weights/<env>.json``)
    with the training command, steps and population.

    Args:
        deterministic: act with the policy's most likely lesson (True), or draw it
            from the policy's probabilities with the teacher's own RNG (False).
            None (default): as the env's card says (``"deterministic"``, True when
            absent), the mode chosen on train-population students when it shipped.
    """

    supported_spaces: ClassVar[tuple[type[spaces.Space], ...]] = (spaces.Discrete, spaces.Box)
    env_ids: ClassVar[tuple[str, ...]] = SHIPPED_ENVS
    required_packages: ClassVar[dict[str, str]] = {"stable_baselines3": "rl", "torch": "rl", "safetensors": "rl"}

    def __init__(self, deterministic: bool | None = None):
        super().__init__()
        if deterministic is not None and not isinstance(deterministic, bool):
            raise ConfigError(f"deterministic must be True, False or None (the card's choice), got {deterministic!r}")
        self.deterministic = deterministic
        # Imported when the teacher is made, not in a run: importing SB3 draws from Python's global `random`.
        try:
            import stable_baselines3  # noqa: F401
        except ImportError as error:
            raise ConfigError("ppo-teacher runs its policy with stable-baselines3 and torch: "
                              "pip install 'teachgym[rl]'") from error

        self._inner: Teacher | None = None
        self._card: dict[str, Any] = {}
        self._built: dict[str, Teacher] = {}  # env id -> loaded policy, kept across runs

    def _setup(self) -> None:
        shape = tuple(getattr(self.observation_space, "shape", None) or ())
        for env_id in SHIPPED_ENVS:
            card = shipped_card(env_id)
            if repr(self.action_space) == card["action_space"] and list(shape) == card["observation_shape"]:
                break
        else:
            shipped = "; ".join(f"{e}: actions {shipped_card(e)['action_space']}, observation "
                                f"{tuple(shipped_card(e)['observation_shape'])}" for e in SHIPPED_ENVS)
            raise ConfigError(f"ppo-teacher has no trained weights for an env with actions {self.action_space} and "
                              f"observation shape {shape}; it ships weights for {shipped}")
        self._card = card
        if env_id not in self._built:
            self._built[env_id] = self._load(card)
        self._inner = self._built[env_id]
        self._inner.reset(self.action_space, self.observation_space, seed=int(self.rng.integers(2**63)))

    def _load(self, card: dict[str, Any]) -> Teacher:
        path = str(WEIGHTS / card["weights"])
        deterministic = card.get("deterministic", True) if self.deterministic is None else self.deterministic
        if card["policy"] == "itemwise":
            from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

            return PPOTutor(model_path=path, deterministic=deterministic, features=card["features"])
        return LearnedTeacher(path=path, deterministic=deterministic)

    def _check_log(self, info: dict[str, Any]) -> None:
        """Refuse a tutor's log other than the one the policy was trained on (another delay, answer timing)."""
        expected, got = self._card.get("tutor_log"), keys.TUTOR_LOG.get(info)
        if expected is None or got is None:
            return
        differ = {k: (v, got.get(k)) for k, v in expected.items() if got.get(k) != v}
        if differ:
            raise ConfigError(f"ppo-teacher's weights for {self._card['env_id']} were trained on a tutor's log with "
                              f"{ {k: v[0] for k, v in differ.items()} }; this env's has { {k: v[1] for k, v in differ.items()} }")

    def act(self, obs, info):
        if keys.is_episode_start(info):
            self._check_log(info)
        return self._inner.act(obs, info)

    def update(self, action, reward, obs, info) -> None:
        self._inner.update(action, reward, obs, info)
