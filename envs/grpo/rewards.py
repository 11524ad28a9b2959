"""Verifiable rewards: plain callables in TRL's reward-function signature.

TRL calls ``reward_func(prompts=..., completions=..., completion_ids=..., **columns)``
with one entry per completion, where ``columns`` are the dataset's other columns
(here ``answer``). A completion is a string, or for chat models a list of
messages whose last ``content`` is the answer. Whatever a model writes (empty,
garbage, overlong, unicode, even a non-string) gets a reward in [0, 1]; nothing
raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_ANSWER_CHARS = 256  # longer completions are wrong without being compared


def completion_text(completion: Any) -> str | None:
    """The text of one completion (a string or a list of chat messages), or None.

    >>> completion_text(" 42 ")
    ' 42 '
    >>> completion_text([{"role": "assistant", "content": "42"}])
    '42'
    >>> completion_text(None) is None, completion_text([{"role": "assistant"}]) is None
    (True, True)
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, (list, tuple)) and completion:
        last = completion[-1]
        if isinstance(last, dict) and isinstance(last.get("content"), str):
            return last["content"]
    return None


def parse_answer(completion: Any) -> str | None:
    """The answer a completion gives: its text without surrounding whitespace, or None.

    Overlong text, text with control characters and non-text give None.

    >>> parse_answer("58\\n")
    '58'
    >>> parse_answer("5\\x008") is None, parse_answer("9" * 1000) is None, parse_answer(3.0) is None
    (True, True, True)
    """
    text = completion_text(completion)
    if text is None or len(text) > MAX_ANSWER_CHARS:
        return None
    text = text.strip()
    if not text.isprintable():
        return None
    return text


def exact_match_reward(completions: Sequence[Any], answer: Sequence[Any], **kwargs: Any) -> list[float]:
    """1.0 where the completion's answer equals ``answer`` exactly, else 0.0.

    Extra keyword arguments (``prompts``, ``completion_ids``, TRL's
    ``trainer_state``...) are ignored.

    >>> exact_match_reward(["58", " 58 ", "85", "", "５８", None], ["58"] * 6)
    [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    >>> exact_match_reward([[{"role": "assistant", "content": "abc"}]], ["abc"])
    [1.0]
    """
    rewards = []
    for completion, target in zip(completions, _padded(answer, len(completions))):
        given = parse_answer(completion)
        rewards.append(1.0 if given is not None and isinstance(target, str) and given == target else 0.0)
    return rewards


def char_match_reward(completions: Sequence[Any], answer: Sequence[Any], **kwargs: Any) -> list[float]:
    """Partial credit: the fraction of positions where completion and answer agree.

    Divided by the longer of the two lengths, so extra or missing characters
    cost credit; 1.0 only for an exact match.

    >>> char_match_reward(["58", "59", "5", "580", "", None], ["58"] * 6)
    [1.0, 0.5, 0.5, 0.6666666666666666, 0.0, 0.0]
    """
    rewards = []
    for completion, target in zip(completions, _padded(answer, len(completions))):
        given = parse_answer(completion)
        if given is None or not isinstance(target, str) or not (given or target):
            rewards.append(0.0)
            continue
        hits = sum(a == b for a, b in zip(given, target))
        rewards.append(hits / max(len(given), len(target)))
    return rewards


def _padded(answers: Any, n: int) -> list[Any]:
    """``answers`` as a list of length ``n`` (missing entries None, so they score 0)."""
    try:
        values = list(answers)
    except TypeError:
        values = []
    return (values + [None] * n)[:n]


REWARD_FUNCTIONS = {"exact": exact_match_reward, "char": char_match_reward}
