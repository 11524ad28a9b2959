"""A NumPy Generator that takes its uniform draws in blocks, with the values of a plain Generator.

A bandit teacher draws one or two numbers per decision (``rng.random()`` to
explore or to sample an arm, ``rng.integers(n)`` for a random arm), and a call
into NumPy costs more than the arithmetic behind it. :class:`BlockGenerator`
takes the bit generator's 64-bit outputs a block at a time and does that
arithmetic in Python, so that every draw is exactly the one a plain
``np.random.Generator`` on the same bit generator would have made:

- ``random()``: one output ``x`` becomes ``(x >> 11) * 2**-53``; ``random(n)`` is
  ``n`` such draws.
- ``integers(n)`` (``n < 2**32``): Lemire's multiply-and-reject on 32-bit halves
  of outputs (low half first; the bit generator keeps the high half for the next
  32-bit draw).

Every other method first puts the bit generator where single draws would have
left it (:meth:`BlockGenerator.sync`), so any mix of calls gives a plain
Generator's values; so do ``bit_generator``, pickling and copying.
"""

from __future__ import annotations

import functools

import numpy as np

_TO_DOUBLE = 1.0 / 9007199254740992.0  # 2 ** -53
_LOW32 = 0xFFFFFFFF
_FLOAT64, _INT64 = np.float64, np.int64


class BlockGenerator(np.random.Generator):
    """A ``np.random.Generator`` on a ``PCG64`` whose ``random`` and ``integers(n)`` draws come from blocks of
    ``block`` outputs (see the module docstring); its values are those of ``np.random.Generator(bit_generator)``."""

    __slots__ = ("_bits", "_block", "_raw", "_doubles", "_array", "_next", "_buffered", "_has_half", "_half")

    def __init__(self, bit_generator: np.random.PCG64, block: int = 256):
        if type(bit_generator) is not np.random.PCG64:
            raise TypeError(f"bit_generator must be a numpy.random.PCG64, got {type(bit_generator).__name__}")
        super().__init__(bit_generator)
        self._bits, self._block = bit_generator, block
        self._raw: list[int] = []  # the block's outputs
        self._doubles: list[float] = []  # the same outputs as random() doubles
        self._array = np.empty(0)  # and as an array
        self._next = 0  # index of the next unused output
        self._buffered = False  # whether the bit generator is ahead of the draws handed out
        self._has_half, self._half = False, 0  # the kept high half of an output, as PCG64 keeps it

    def _refill(self, needed: int) -> None:
        """Draw a new block after the unused outputs, so that at least ``needed`` are unused."""
        bits = self._bits
        if not self._buffered:
            state = bits.state
            self._has_half, self._half = bool(state["has_uint32"]), int(state["uinteger"])
        unused = self._raw[self._next:]
        raw = bits.random_raw(max(self._block, needed - len(unused)))
        array = np.concatenate([self._array[self._next:], (raw >> np.uint64(11)) * _TO_DOUBLE])
        self._raw, self._doubles, self._array = unused + raw.tolist(), array.tolist(), array
        self._next, self._buffered = 0, True

    def sync(self) -> None:
        """Put the bit generator where single draws would have left it, and drop the block."""
        if not self._buffered:
            return
        bits = self._bits
        bits.advance(-(len(self._raw) - self._next))  # back over the unused outputs (the LCG's period is 2**128)
        state = bits.state  # advance() forgets the kept half: put back the one the draws left
        state["has_uint32"], state["uinteger"] = int(self._has_half), self._half
        bits.state = state
        self._raw, self._doubles, self._array, self._next, self._buffered = [], [], np.empty(0), 0, False

    def random(self, size=None, dtype=_FLOAT64, out=None):
        if dtype is _FLOAT64 and out is None:
            if size is None:
                index = self._next
                if index == len(self._raw):
                    self._refill(1)
                    index = 0
                self._next = index + 1
                return self._doubles[index]
            if type(size) is int and size >= 0:
                if self._next + size > len(self._raw):
                    self._refill(size)
                start = self._next
                self._next = start + size
                return self._array[start:start + size].copy()
        self.sync()
        return super().random(size, dtype, out)

    def integers(self, low, high=None, size=None, dtype=_INT64, endpoint=False):
        if high is None and size is None and dtype is _INT64 and not endpoint and type(low) is int \
                and 1 <= low <= _LOW32:
            return _INT64(self._bounded(low))
        self.sync()
        return super().integers(low, high, size, dtype, endpoint)

    def _bounded(self, n: int) -> int:
        """A draw in ``[0, n)``, ``1 <= n < 2**32``: NumPy's Lemire method on 32-bit draws."""
        if n == 1:
            return 0  # NumPy draws nothing for a range of one value
        product = self._next32() * n
        leftover = product & _LOW32
        if leftover < n:
            threshold = (_LOW32 - (n - 1)) % n
            while leftover < threshold:
                product = self._next32() * n
                leftover = product & _LOW32
        return product >> 32

    def _next32(self) -> int:
        if not self._buffered:  # the kept half is the bit generator's
            self._refill(1)
        if self._has_half:
            self._has_half = False
            return self._half
        index = self._next
        if index == len(self._raw):
            self._refill(1)
            index = 0
        self._next = index + 1
        output = self._raw[index]
        self._has_half, self._half = True, output >> 32
        return output & _LOW32

    @property
    def bit_generator(self):
        self.sync()
        return self._bits

    def __reduce__(self):
        self.sync()
        return super().__reduce__()  # a plain Generator on the bit generator, in the same state


def _synced(name: str):
    method = getattr(np.random.Generator, name)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        self.sync()
        return method(self, *args, **kwargs)

    return call


for _name in dir(np.random.Generator):
    if not _name.startswith("_") and _name not in BlockGenerator.__dict__ \
            and callable(getattr(np.random.Generator, _name)):
        setattr(BlockGenerator, _name, _synced(_name))
