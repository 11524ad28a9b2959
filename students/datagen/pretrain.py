"""A pretrained base for the character transformer: built once from a fixed seed, cached on disk.

DataEnvGym's students are pretrained LMs that are weak on some skills; the
data-generation envs fine-tune them on the teacher's data, restarting from the
same base weights each iteration. :func:`pretrained_state` gives the character
transformer such a base: ``steps`` AdamW steps on a foundation corpus (a list of
``(question, answer)`` pairs the domain generates from its own fixed seed),
from weights drawn with ``seed``. The state dict is saved under the same cache
directory as the tiny LM student's warm-up (``$TEACHGYM_CACHE_DIR``, see
:func:`teachgym.students.grpo.tiny.default_cache_dir`) as ``char-<hash>.pt``, the
hash covering the architecture, the training settings and the corpus, so a
second build with the same inputs loads it instead of training. Beside it,
``char-<hash>.pt.sha256`` holds the SHA-256 of the file written at build time: a
cached file that no longer matches it (zeroed, truncated) or cannot be read is
reported with a :class:`~teachgym.utils.verified_files.CacheWarning` naming it
and rebuilt. The state dict is read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from teachgym.utils.verified_files import CacheWarning, check_digest, sha256_file, write_digest

_FORMAT_VERSION = 2  # bump when the build procedure changes, so old caches are not reused


def base_cache_key(architecture: dict[str, Any], problems: Sequence[tuple[str, str]], steps: int, lr: float,
                   batch_size: int, seed: int) -> str:
    """The hash that names a base checkpoint."""
    data = hashlib.sha256()
    for question, answer in problems:
        data.update(f"{question}\t{answer}\n".encode())
    payload = {"format": _FORMAT_VERSION, "architecture": architecture, "steps": steps, "lr": lr,
               "batch_size": batch_size, "seed": seed, "data": data.hexdigest()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def pretrained_state(make_student, architecture: dict[str, Any], problems: Sequence[tuple[str, str]], steps: int,
                     lr: float, batch_size: int, seed: int = 0,
                     cache_dir: str | os.PathLike | None = None) -> tuple[dict, Path]:
    """The base weights (a state dict) and the file they are cached in, training them if needed.

    Args:
        make_student: ``make_student(lr=..., batch_size=...)`` -> a fresh, un-pretrained student
            of ``architecture`` (its ``learn`` does the training, so the base is trained exactly
            like every later fine-tuning).
        architecture: what fixes the model's shape (part of the cache key).
        problems: the foundation corpus.
        steps, lr, batch_size: the pretraining run (warm-up + cosine schedule).
        seed: initial weights and batch order.
        cache_dir: where bases live (default ``$TEACHGYM_CACHE_DIR`` or ``~/.cache/teachgym``).
    """
    import torch

    from teachgym.students.grpo.tiny import default_cache_dir

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = root / f"char-{base_cache_key(architecture, problems, steps, lr, batch_size, seed)}.pt"
    if path.exists():
        problem = check_digest(path)
        if problem is None:
            try:
                return torch.load(path, map_location="cpu", weights_only=True), path
            except (pickle.UnpicklingError, RuntimeError, OSError, EOFError, ValueError) as exc:
                problem = f"it cannot be loaded ({type(exc).__name__}: {exc})"
        warnings.warn(f"cached base weights {path}: {problem}; rebuilding them", CacheWarning, stacklevel=2)
    student = make_student(lr=lr, batch_size=batch_size)
    student.reset(np.random.default_rng(seed))
    start = time.process_time()
    student.learn(list(problems), steps)
    state = {k: v.detach().clone() for k, v in student.model.state_dict().items()}
    root.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=".building-", suffix=".pt", dir=root)
    os.close(handle)
    try:
        torch.save(state, staging)
        write_digest(path, sha256_file(staging))  # the digest first: weights in place always have theirs
        os.replace(staging, path)  # atomic: a concurrent builder writes the same bytes
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    (root / f"{path.stem}.json").write_text(json.dumps(
        {"architecture": architecture, "steps": steps, "lr": lr, "batch_size": batch_size, "seed": seed,
         "n_problems": len(problems), "cpu_seconds": round(time.process_time() - start, 2)}))
    return state, path
