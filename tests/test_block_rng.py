"""BlockGenerator: the values of a plain NumPy Generator, in any mix of calls."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from teachgym.teachers.common.block_rng import BlockGenerator

BOUNDS = [1, 2, 3, 7, 25, 30, 1000, 2**31 - 1, 2**31 + 5, 2**32 - 2, 2**32 - 1]


def _call(rng: np.random.Generator, op: int, arg: int):
    """One call of the kind ``op``; the plain and the block generator get the same calls."""
    if op == 0:
        return rng.random()
    if op == 1:
        return rng.integers(arg)
    if op == 2:
        return rng.random(arg % 40)
    if op == 3:
        return rng.standard_normal(arg % 5 + 1)  # not buffered: the block generator syncs first
    if op == 4:
        return rng.integers(0, arg, size=3)
    if op == 5:
        return rng.bit_generator.state
    if op == 6:
        return rng.random(dtype=np.float32)
    return rng.integers(arg, dtype=np.int32) if arg < 2**31 else rng.uniform()


@pytest.mark.parametrize("seed", range(6))
def test_every_mix_of_calls_gives_a_plain_generators_values(seed):
    plan = np.random.default_rng(100 + seed)
    # Mostly the buffered calls, which run in blocks; the small block makes draws straddle refills.
    ops = plan.choice(8, size=3000, p=[0.45, 0.3, 0.1, 0.04, 0.03, 0.03, 0.02, 0.03])
    args = plan.choice(BOUNDS, size=3000)
    plain = np.random.default_rng(seed)
    block = BlockGenerator(np.random.default_rng(seed).bit_generator, block=16)
    for step, (op, arg) in enumerate(zip(ops.tolist(), args.tolist())):
        expected, got = _call(plain, op, arg), _call(block, op, arg)
        assert type(got) is type(expected), step
        if isinstance(expected, np.ndarray):
            assert got.dtype == expected.dtype and np.array_equal(got, expected), step
        else:
            assert got == expected, step
    assert block.bit_generator.state == plain.bit_generator.state


def test_a_pickled_or_copied_block_generator_continues_the_stream():
    plain = np.random.default_rng(7)
    block = BlockGenerator(np.random.default_rng(7).bit_generator)
    assert [block.random() for _ in range(5)] + [block.integers(9)] == \
        [plain.random() for _ in range(5)] + [plain.integers(9)]
    copied, unpickled = copy.deepcopy(block), pickle.loads(pickle.dumps(block))
    expected = plain.random(4).tolist()
    for rng in (block, copied, unpickled):
        assert [rng.random() for _ in range(4)] == expected


def test_only_pcg64_is_accepted():
    with pytest.raises(TypeError, match="PCG64"):
        BlockGenerator(np.random.MT19937(0))
