"""A numpy copy of an SB3 MLP policy's deterministic actor, for cheap batched evaluation.

Probe evaluation calls the policy once per env step on a small batch; through
``policy.predict`` that costs ~0.1-0.3 ms of torch overhead per call, far more
than the arithmetic. :func:`fast_deterministic_actor` copies the weights of the
common MLP policies (PPO/A2C ``ActorCriticPolicy``, SAC's actor, DQN's
Q-network) into numpy once, and returns a function with the same deterministic
actions as ``policy.predict(obs, deterministic=True)`` up to float32 rounding.
Anything else (CNNs, dict observations, gSDE) falls back to ``policy.predict``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

_ACTIVATIONS: dict[type[nn.Module], Callable[[np.ndarray], np.ndarray]] = {
    nn.Tanh: np.tanh,
    nn.ReLU: lambda x: np.maximum(x, 0.0),
    nn.Identity: lambda x: x,
    nn.Sigmoid: lambda x: 1.0 / (1.0 + np.exp(-x)),
}


def _layers(module: nn.Module) -> list | None:
    """``module`` as a list of numpy layers, or None if it holds anything but Linear layers and known activations."""
    if isinstance(module, nn.Linear):
        bias = module.bias.detach().cpu().numpy().copy() if module.bias is not None else 0.0
        return [(module.weight.detach().cpu().numpy().T.copy(), bias)]
    if isinstance(module, nn.Sequential):
        out = []
        for child in module:
            layers = _layers(child)
            if layers is None:
                return None
            out += layers
        return out
    activation = _ACTIVATIONS.get(type(module))
    return None if activation is None else [activation]


def _forward(layers: list, x: np.ndarray) -> np.ndarray:
    for layer in layers:
        if isinstance(layer, tuple):
            x = x @ layer[0] + layer[1]
        else:
            x = layer(x)
    return x


def fast_deterministic_actor(model) -> Callable[[np.ndarray], np.ndarray]:
    """Batched deterministic actions of ``model`` (an SB3 algorithm) as a numpy function.

    The function takes observations of shape ``(n, *obs_shape)`` and returns
    ``(n, *action_shape)`` actions (``(n,)`` ints for Discrete), clipped or
    rescaled to the action space as ``predict`` does.
    """
    policy = model.policy
    fallback = lambda obs: policy.predict(obs, deterministic=True)[0]  # noqa: E731
    obs_space, action_space = policy.observation_space, policy.action_space
    if not (isinstance(obs_space, spaces.Box) and len(obs_space.shape) == 1):
        return fallback
    if not isinstance(getattr(policy, "features_extractor", None), nn.Module) or \
            type(policy.features_extractor).__name__ != "FlattenExtractor":
        return fallback
    with torch.no_grad():
        if hasattr(policy, "mlp_extractor") and hasattr(policy, "action_net"):  # PPO / A2C
            if getattr(policy, "use_sde", False):
                return fallback
            body, head = _layers(policy.mlp_extractor.policy_net), _layers(policy.action_net)
            squash = False
        elif hasattr(policy, "actor") and hasattr(policy.actor, "mu"):  # SAC
            if getattr(policy.actor, "use_sde", False):
                return fallback
            body, head = _layers(policy.actor.latent_pi), _layers(policy.actor.mu)
            squash = True
        elif hasattr(policy, "q_net") and hasattr(policy.q_net, "q_net"):  # DQN
            body, head = _layers(policy.q_net.q_net), []
            squash = False
        else:
            return fallback
    if body is None or head is None:
        return fallback
    layers = body + head

    if isinstance(action_space, spaces.Discrete):
        def act(obs: np.ndarray) -> np.ndarray:
            return np.argmax(_forward(layers, np.asarray(obs, dtype=np.float32).reshape(len(obs), -1)), axis=1)
        return act
    if not isinstance(action_space, spaces.Box):
        return fallback
    low, high = action_space.low, action_space.high

    def act(obs: np.ndarray) -> np.ndarray:
        out = _forward(layers, np.asarray(obs, dtype=np.float32).reshape(len(obs), -1))
        if squash:
            return (low + 0.5 * (np.tanh(out) + 1.0) * (high - low)).astype(action_space.dtype)
        clipped = np.minimum(np.maximum(out, low), high)  # as predict() does; cheaper than np.clip on tiny arrays
        return clipped.astype(action_space.dtype).reshape((len(obs), *action_space.shape))
    return act
