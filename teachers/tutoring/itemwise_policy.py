"""An SB3 actor-critic policy that scores every item with one shared network (imports torch).

A flat MLP over ``n_items`` x fields of the tutor's log must learn the same
scheduling rule once per item position. Here one small network reads each
item's own fields (reviews, correct answers, time since review, and the oracle
recall when present) plus the budget used and a mean-pooled summary of all
items, and outputs that item's logit, so the rule is shared across items and
the policy is invariant to how the deck is numbered (as in Deep Sets, Zaheer et
al., 2017). The value head reads the pooled summary. ``linear_skip=True`` adds a
zero-initialised linear map of the item's own inputs to its logit (a "wide"
part next to the deep one), so rules such as "the longest-unreviewed item"
(round-robin) are one linear layer away instead of behind two tanh layers.

Used by ``scripts/train_rl_tutor.py --policy itemwise``; it expects
``log(1 + obs)`` of a tutor-log observation laid out as
``[field_0 (n), field_1 (n), ..., budget_used]``.
"""

from __future__ import annotations

import torch
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn


class ItemwiseExtractor(BaseFeaturesExtractor):
    """Features ``[item logits (n), pooled summary (hidden)]`` of a tutor-log observation."""

    def __init__(self, observation_space: spaces.Box, n_items: int, hidden: int = 64, linear_skip: bool = False):
        n_fields, remainder = divmod(observation_space.shape[0] - 1, n_items)
        if remainder or n_fields < 1:
            raise ValueError(f"observation of shape {observation_space.shape} is not k * {n_items} + 1 (a tutor log)")
        super().__init__(observation_space, features_dim=n_items + hidden)
        self.n_items, self.n_fields = n_items, n_fields
        self.item_net = nn.Sequential(nn.Linear(n_fields + 1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.score = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.skip = nn.Linear(n_fields + 1, 1) if linear_skip else None
        if self.skip is not None:  # zero-initialised: the policy still starts uniform
            nn.init.zeros_(self.skip.weight)
            nn.init.zeros_(self.skip.bias)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        batch, n = observations.shape[0], self.n_items
        per_item = observations[:, : n * self.n_fields].reshape(batch, self.n_fields, n).transpose(1, 2)
        budget = observations[:, -1:].unsqueeze(1).expand(batch, n, 1)
        inputs = torch.cat([per_item, budget], dim=-1)
        embedded = self.item_net(inputs)
        pooled = embedded.mean(dim=1)
        logits = self.score(torch.cat([embedded, pooled.unsqueeze(1).expand_as(embedded)], dim=-1)).squeeze(-1)
        if self.skip is not None:
            logits = logits + self.skip(inputs).squeeze(-1)
        return torch.cat([logits, pooled], dim=1)


class _ItemLogits(nn.Module):
    """The action head: the extractor's first ``n_items`` features are already the logits."""

    def __init__(self, n_items: int):
        super().__init__()
        self.n_items = n_items

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return latent[:, : self.n_items]


class ItemwisePolicy(ActorCriticPolicy):
    """PPO policy whose logits come from :class:`ItemwiseExtractor` (Discrete(n_items) actions).

    ``linear_skip`` is passed to the extractor (see the module docstring).
    """

    def __init__(self, observation_space, action_space, lr_schedule, linear_skip: bool = False, **kwargs):
        kwargs.setdefault("features_extractor_class", ItemwiseExtractor)
        kwargs.setdefault("features_extractor_kwargs", {"n_items": int(action_space.n), "linear_skip": linear_skip})
        kwargs.setdefault("net_arch", {"pi": [], "vf": [64]})
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def _build(self, lr_schedule) -> None:
        super()._build(lr_schedule)
        self.action_net = _ItemLogits(int(self.action_space.n))
        # Start near the uniform policy, as SB3 does with its 0.01-gain action layer.
        for extractor in {self.features_extractor, self.pi_features_extractor}:
            nn.init.orthogonal_(extractor.score[-1].weight, gain=0.01)
            nn.init.zeros_(extractor.score[-1].bias)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)
