"""One-step influence of a training problem on a target probe loss, first-order and measured.

For a student with parameters ``theta``, a training item ``i`` with SFT loss
``L_i`` and a probe set with mean SFT loss ``L_T``, one plain gradient step of
size ``eta`` on the item alone changes the probe loss by

    L_T(theta - eta * g_i) - L_T(theta) = -eta * g_i . g_T + O(eta^2),

with ``g_i`` and ``g_T`` the gradients of ``L_i`` and ``L_T`` at ``theta``. The
*influence score* of the item is the first-order predicted decrease
``eta * g_i . g_T`` (as in TracIn, Pruthi et al., 2020, for one step).
:func:`one_step_gains` measures the real decrease for the same step on a copy
of the student, so the two can be compared; the env's own student step (AdamW
with gradient clipping, on the whole batch plus replay) is a different update
again, which the estimate does not model.
"""

from __future__ import annotations

import copy
from typing import Sequence

import numpy as np

from teachgym.validation import check_choice


def _loss(model, tokenizer, items: Sequence[tuple[str, str]]):
    from teachgym.students.grpo.tiny import encode_sft_batch

    ids, mask, labels = encode_sft_batch(tokenizer, items)
    return model(input_ids=ids, attention_mask=mask, labels=labels).loss


def loss_gradient(model, tokenizer, items: Sequence[tuple[str, str]]):
    """The gradient of the mean SFT loss of ``items`` (answer tokens + eos), flattened (float64)."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(_loss(model, tokenizer, items), params, allow_unused=True)
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1).double()
                      for g, p in zip(grads, params)])


def probe_loss(model, tokenizer, items: Sequence[tuple[str, str]]) -> float:
    """The mean SFT loss of ``items``, without gradients."""
    import torch

    with torch.no_grad():
        return float(_loss(model, tokenizer, items))


def influence_scores(model, tokenizer, items: Sequence[tuple[str, str]], probes: Sequence[tuple[str, str]],
                     step_size: float) -> np.ndarray:
    """``step_size * g_i . g_T`` for every item: the first-order predicted decrease of the probe loss."""
    if not items:
        return np.zeros(0)
    was_training = model.training
    model.eval()
    try:
        target = loss_gradient(model, tokenizer, probes)
        out = [step_size * float(loss_gradient(model, tokenizer, [item]) @ target) for item in items]
    finally:
        model.train(was_training)
    return np.asarray(out, dtype=np.float64)


def one_step_gains(model, tokenizer, items: Sequence[tuple[str, str]], probes: Sequence[tuple[str, str]],
                   step_size: float, optimizer: str = "sgd") -> np.ndarray:
    """The real decrease of the probe loss after one step on each item alone, each on a fresh copy of ``model``.

    Args:
        optimizer: ``"sgd"`` (``theta - step_size * g_i``, what the first-order estimate predicts) or
            ``"adam"`` (a first AdamW step at learning rate ``step_size``, no weight decay).
    """
    import torch

    check_choice("optimizer", optimizer, ("sgd", "adam"))
    before = probe_loss(model, tokenizer, probes)
    out = []
    for item in items:
        student = copy.deepcopy(model)
        student.eval()
        params = [p for p in student.parameters() if p.requires_grad]
        if optimizer == "sgd":
            step = torch.optim.SGD(params, lr=step_size)
        else:
            step = torch.optim.AdamW(params, lr=step_size, weight_decay=0.0)
        _loss(student, tokenizer, [item]).backward()
        step.step()
        out.append(before - probe_loss(student, tokenizer, probes))
    return np.asarray(out, dtype=np.float64)
