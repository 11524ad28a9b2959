"""Content hashes for cached weights: written when a cache entry is built, checked before it is used.

A cache entry that was truncated, zeroed or otherwise changed on disk must not
be used silently. A cached file ``f`` gets a sidecar ``f.sha256`` holding the
SHA-256 of its bytes (:func:`write_digest`); a cached directory gets a
``teachgym_sha256.json`` manifest of every file in it (:func:`write_manifest`).
:func:`check_digest` and :func:`check_manifest` return why an entry cannot be
trusted (or None), so that the cache can warn, naming the entry, and rebuild it.

The hashes detect damage, not an attacker: whoever can write to the cache
directory can rewrite the hashes too, so cached weights are still loaded only
in formats that cannot run code (``torch.load(weights_only=True)``, safetensors).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

MANIFEST = "teachgym_sha256.json"


class CacheWarning(UserWarning):
    """A cache entry failed its check and is being rebuilt."""


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_path(path: str | os.PathLike) -> Path:
    """Where the digest of the cached file ``path`` is kept: ``path`` + ``.sha256``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def write_digest(path: str | os.PathLike, digest: str | None = None) -> Path:
    """Write ``path``'s digest (``digest``, or computed from the file) to its sidecar, atomically."""
    sidecar = digest_path(path)
    _write_atomic(sidecar, f"{digest or sha256_file(path)}\n")
    return sidecar


def check_digest(path: str | os.PathLike) -> str | None:
    """None when ``path`` matches its sidecar digest; otherwise why it does not."""
    sidecar = digest_path(path)
    try:
        expected = sidecar.read_text().strip()
    except OSError:
        return f"its hash file {sidecar.name} is missing or unreadable"
    try:
        actual = sha256_file(path)
    except OSError as exc:
        return f"it cannot be read ({exc})"
    if actual != expected:
        return f"its SHA-256 {actual[:12]}... differs from the one recorded when it was built ({expected[:12]}...)"
    return None


def write_manifest(directory: str | os.PathLike) -> Path:
    """Record the SHA-256 of every file under ``directory`` in its manifest."""
    directory = Path(directory)
    files = {p.relative_to(directory).as_posix(): sha256_file(p) for p in sorted(directory.rglob("*"))
             if p.is_file() and p.name != MANIFEST}
    _write_atomic(directory / MANIFEST, json.dumps(files, indent=1, sort_keys=True))
    return directory / MANIFEST


def check_manifest(directory: str | os.PathLike) -> str | None:
    """None when the files under ``directory`` are exactly those of its manifest; otherwise why not."""
    directory = Path(directory)
    try:
        expected = json.loads((directory / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError):
        return f"its hash manifest {MANIFEST} is missing or unreadable"
    if not isinstance(expected, dict):
        return f"its hash manifest {MANIFEST} is malformed"
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST}
    if present != set(expected):
        extra, missing = sorted(present - set(expected)), sorted(set(expected) - present)
        return f"its files differ from the manifest (unexpected {extra}, missing {missing})"
    for name, digest in expected.items():
        try:
            if sha256_file(directory / name) != digest:
                return f"{name} differs from the SHA-256 recorded when it was built"
        except OSError as exc:
            return f"{name} cannot be read ({exc})"
    return None


def _write_atomic(path: Path, text: str) -> None:
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.remove(staging)
