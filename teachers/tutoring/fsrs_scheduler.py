"""The FSRS scheduler at a desired retention, run by the ``fsrs`` package itself (Anki's default scheduler since 23.10).

Each card is an ``fsrs.Card`` reviewed by an ``fsrs.Scheduler`` with the
day's rating, dated at midnight UTC of the env's day; the card is due on the
day the package schedules. Settings for a day-based deck: no learning or
relearning steps (they are minutes apart, within one day; a new card goes
straight to the Review state), and no fuzzing (the package draws its fuzz from
Python's global ``random``, which a teacher must not use). The parameters are
the package's defaults unless given: the scheduler does not know the
learner's own parameters, as an app before its optimizer has run.

Needs the ``srs`` extra: ``pip install 'teachgym[srs]'`` (the ``fsrs`` package, >= 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from teachgym.teachers.tutoring.deck_scheduler import DeckScheduler
from teachgym.validation import ConfigError, check_float, check_int

EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _fsrs():
    try:
        import fsrs
    except ImportError:
        raise ConfigError("the FSRS scheduler needs the fsrs package: pip install 'teachgym[srs]'") from None
    return fsrs


class FSRSSchedulerTutor(DeckScheduler):
    """Review what the ``fsrs`` package schedules (see the module docstring).

    Args:
        desired_retention: the recall probability at which a card comes due, in (0, 1).
        parameters: 21 FSRS-6 parameters (default: the package's defaults).
        maximum_interval: longest interval in days.
    """

    def __init__(self, desired_retention: float = 0.9, parameters: Sequence[float] | None = None,
                 maximum_interval: int = 36500):
        super().__init__()
        self.desired_retention = check_float("desired_retention", desired_retention, low=0.0, low_open=True,
                                             high=1.0, high_open=True)
        self.maximum_interval = check_int("maximum_interval", maximum_interval, low=1)
        fsrs = _fsrs()
        self.parameters = tuple(fsrs.scheduler.DEFAULT_PARAMETERS if parameters is None else parameters)
        try:
            self._make_scheduler()
        except ValueError as error:
            raise ConfigError(f"parameters: {error}") from None

    def _make_scheduler(self):
        fsrs = _fsrs()
        return fsrs.Scheduler(parameters=self.parameters, desired_retention=self.desired_retention,
                              learning_steps=(), relearning_steps=(), maximum_interval=self.maximum_interval,
                              enable_fuzzing=False)

    def _start_episode(self) -> None:
        self._scheduler = self._make_scheduler()
        self._cards: dict[int, object] = {}

    def _schedule(self, card: int, rating: int, day: int, first: bool) -> int:
        fsrs = _fsrs()
        state = self._cards.get(card)
        if state is None or first:
            state = fsrs.Card(card_id=card + 1, step=0, due=EPOCH)
        when = EPOCH + timedelta(days=day)
        state, _ = self._scheduler.review_card(state, fsrs.Rating(rating), review_datetime=when)
        self._cards[card] = state
        return (state.due - when).days

    def retrievability(self, card: int, day: int) -> float:
        """The package's retrievability of ``card`` on ``day`` (0 if never studied)."""
        state = self._cards.get(card)
        if state is None:
            return 0.0
        return float(self._scheduler.get_card_retrievability(state, EPOCH + timedelta(days=day)))
