"""Fixed validation and test sets, disjoint from each other and from all training data.

Both sets are drawn from a fixed seed (not the episode's), so every episode and
every teacher is measured on the same questions. Each skill gets
``per_skill`` items spread evenly over its subskills and the domain's default
difficulty levels (:attr:`~teachgym.envs.datagen.domain.Domain.levels`). The
test set is drawn first, the validation set avoids it, and
:attr:`HeldOut.keys` (content keys of both) is what every engine must avoid
when it writes training data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from teachgym.envs.datagen.domain import Datum, Domain

HELDOUT_SEED = 20241007  # fixed: held-out sets are part of the benchmark, not of the episode


@dataclass(frozen=True)
class HeldOut:
    """The validation set (the teacher's feedback), the test set (the headline score) and their keys."""

    val: tuple[Datum, ...]
    test: tuple[Datum, ...]
    keys: frozenset[str]

    def val_index(self, skill: int) -> np.ndarray:
        return np.array([i for i, d in enumerate(self.val) if d.skill == skill], dtype=np.int64)


def _draw(domain: Domain, per_skill: int, prefix: str, rng: np.random.Generator, avoid: set[str]) -> list[Datum]:
    out: list[Datum] = []
    for skill_id, skill in enumerate(domain.skills):
        n_sub, levels = len(skill.subskills), domain.levels
        for i in range(per_skill):
            subskill, difficulty = i % n_sub, levels[(i // n_sub) % len(levels)]
            for _ in range(1000):
                example = domain.generate(skill_id, subskill, difficulty, rng)
                key = domain.content_key(example)
                if key not in avoid:
                    break
            else:
                raise RuntimeError(f"could not draw {per_skill} distinct held-out items for skill {skill.name!r}")
            avoid.add(key)
            out.append(Datum(f"{prefix}-{len(out):05d}", skill_id, subskill, difficulty, example,
                             {"engine": "programmatic", "split": prefix}))
    return out


@functools.lru_cache(maxsize=32)
def heldout_sets(domain: Domain, val_per_skill: int, test_per_skill: int) -> HeldOut:
    """The fixed held-out sets of ``domain`` (cached: domains are stateless and compare by configuration)."""
    rng = np.random.default_rng([HELDOUT_SEED, *map(ord, domain.name)])
    seen: set[str] = set()
    test = _draw(domain, test_per_skill, "test", rng, seen)
    val = _draw(domain, val_per_skill, "val", rng, seen)
    return HeldOut(tuple(val), tuple(test), frozenset(seen))
