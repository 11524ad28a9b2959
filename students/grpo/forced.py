"""Exact-match greedy accuracy from teacher-forced forward passes instead of generation.

Greedy decoding writes ``answer + eos`` iff, feeding ``prompt + answer`` to the
model once, the argmax of the logits at every answer position is the next
answer token and the argmax after the answer is eos. Batched forward passes
over the probes therefore settle most of them without ``generate``'s token by
token loop. Probes are grouped by length (prompt + answer), so a batch has no
padding: on the tiny CPU student this is what makes the pass cheap (about 2x
fewer FLOPs than one padded batch, and no attention mask).

Each probe's first *divergence* (the first position whose argmax differs from
the target) decides what its greedy completion is:

- no divergence: ``answer + eos`` (or the answer cut at ``max_new_tokens``);
- divergence on eos: the answer's prefix before it;
- divergence on another token ``t``: unknown beyond ``prefix + t``. For an
  exact-match reward on stripped text (the only kind this path serves) the
  probe scores 0, unless ``prefix + t``, decoded and stripped, is still a
  prefix of the answer (whitespace, a special token that decoding skips,
  another tokenization of the same characters): then it is *undecided*.

Completions that are known are scored by the reward function itself. Undecided
probes, and probes with a near-tie between the two largest logits at any
position up to the divergence (where a batched pass and ``generate``'s cached
passes may round to different argmaxes), are left to ``generate``, so the
rewards equal greedy generation's (checked in ``tests/test_grpo_probes.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Logit gap (relative to 1 + |top logit|) under which two tokens count as tied: float32 rounding
# between a batched pass and generate's cached passes is ~1e-6 here; bf16's is ~1e-2.
TIE_MARGIN_FP32 = 1e-4
TIE_MARGIN_LOW_PRECISION = 5e-2


@dataclass
class _Batch:
    index: np.ndarray  # probe positions in the probe list
    ids: object  # torch.LongTensor (n, width): prompt + answer + eos minus the last token, no padding
    targets: np.ndarray  # (n, span) target ids, right-aligned, -1 where a row has fewer targets
    n_targets: np.ndarray  # (n,)


@dataclass
class ForcedResult:
    """Rewards of the decided probes and the positions left to generation.

    Attributes:
        rewards: reward per probe (NaN where undecided).
        undecided: positions of the probes whose greedy completion must be generated.
    """

    rewards: np.ndarray
    undecided: np.ndarray


class ForcedProbes:
    """A probe set encoded once for teacher-forced exact-match evaluation.

    Args:
        probes: ``(prompt, answer)`` pairs.
        encode_prompts: prompts -> ``{"input_ids": [[...], ...]}``, exactly as greedy
            generation encodes them (chat template included).
        tokenizer: the model's tokenizer (answers are encoded without special tokens).
        max_new_tokens: generation's token limit: only that many targets are checked.
        batch_size: most rows per forward pass.
    """

    def __init__(self, probes: Sequence[tuple[str, str]], encode_prompts: Callable[[list[str]], dict], tokenizer,
                 max_new_tokens: int, batch_size: int):
        import torch

        self.probes = list(probes)
        self.tokenizer = tokenizer
        self.eos = tokenizer.eos_token_id
        prompts = encode_prompts([p for p, _ in self.probes])["input_ids"] if self.probes else []
        answers = tokenizer([a for _, a in self.probes], add_special_tokens=False)["input_ids"] if self.probes else []
        self.targets = [(list(a) + [self.eos])[:max_new_tokens] for a in answers]
        rows = [list(p) + t[:-1] for p, t in zip(prompts, self.targets)]  # the last target is predicted, never fed
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        self.batches: list[_Batch] = []
        for length in np.unique(lengths):
            same = np.flatnonzero(lengths == length)
            for start in range(0, same.size, batch_size):
                index = same[start:start + batch_size]
                n_targets = np.array([len(self.targets[i]) for i in index])
                span = int(n_targets.max())
                targets = np.full((index.size, span), -1, dtype=np.int64)
                for row, i in enumerate(index):
                    targets[row, span - n_targets[row]:] = self.targets[i]
                ids = torch.tensor([rows[i] for i in index], dtype=torch.long)
                self.batches.append(_Batch(index, ids, targets, n_targets))

    def evaluate(self, model, reward_fn: Callable[..., list[float]]) -> ForcedResult:
        """Rewards of greedy completions the passes determine (call under ``torch.no_grad``)."""
        import torch

        margin = TIE_MARGIN_FP32 if model.dtype == torch.float32 else TIE_MARGIN_LOW_PRECISION
        rewards = np.full(len(self.probes), np.nan)
        known: dict[int, list[int]] = {}
        undecided: list[int] = []
        maybe: list[tuple[int, list[int]]] = []  # diverged on a token that might still spell the answer
        for batch in self.batches:
            span = batch.targets.shape[1]
            ids = batch.ids.to(model.device)
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), logits_to_keep=span).logits
            top = logits[:, -span:, :].float().topk(2, dim=-1)
            chosen = top.indices[..., 0].cpu().numpy()
            best = top.values[..., 0].cpu().numpy()
            tied = (best - top.values[..., 1].cpu().numpy()) <= margin * (1.0 + np.abs(best))
            valid = np.arange(span)[None, :] >= (span - batch.n_targets)[:, None]
            wrong = valid & (chosen != batch.targets)
            diverged = wrong.any(axis=1)
            stop = np.where(diverged, wrong.argmax(axis=1), span - 1)  # last column whose argmax matters
            near_tie = (valid & tied & (np.arange(span)[None, :] <= stop[:, None])).any(axis=1)
            for row, probe in enumerate(batch.index.tolist()):
                target = self.targets[probe]
                cut = int(stop[row]) - (span - len(target))  # divergence position within the target
                if near_tie[row]:
                    undecided.append(probe)
                elif not diverged[row]:
                    known[probe] = target
                elif chosen[row, stop[row]] == self.eos:
                    known[probe] = target[:cut]
                else:
                    maybe.append((probe, target[:cut] + [int(chosen[row, stop[row]])]))
        if maybe:
            texts = self.tokenizer.batch_decode([ids for _, ids in maybe], skip_special_tokens=True)
            for (probe, _), text in zip(maybe, texts):
                if self.probes[probe][1].startswith(text.strip()):
                    undecided.append(probe)
                else:
                    rewards[probe] = 0.0
        if known:
            order = sorted(known)
            texts = self.tokenizer.batch_decode([known[i] for i in order], skip_special_tokens=True)
            scores = reward_fn(prompts=[self.probes[i][0] for i in order], completions=texts,
                               answer=[self.probes[i][1] for i in order])
            rewards[order] = np.asarray(scores, dtype=np.float64)
        return ForcedResult(rewards=rewards, undecided=np.asarray(sorted(undecided), dtype=np.int64))
