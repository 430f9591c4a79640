"""Seeded randomness of a round: one explicit seed, independent named streams, no global RNG.

Every random choice the engine makes (relabelling participants before solving, the
treatment/control coin, tie-breaking orders of the stable mechanism) is drawn from a
:class:`numpy.random.Generator` built here from the round's ``seed`` and a *purpose* string.
Streams for different purposes are statistically independent (NumPy ``SeedSequence``
spawn keys), so adding a new use of randomness never changes an existing one, and the same
seed always gives the same draws.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

#: Seeds are reduced modulo 2**128 (``SeedSequence`` needs a non-negative entropy); any two
#: seeds below 2**127 in absolute value stay distinct.
_SEED_MODULUS = 1 << 128


def _purpose_key(purpose: str) -> int:
    return int.from_bytes(hashlib.sha256(purpose.encode("utf-8")).digest()[:8], "big")


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """A generator for one purpose of one round, e.g. ``rng_for(seed, "optimal/relabel")``."""
    sequence = np.random.SeedSequence(
        entropy=seed % _SEED_MODULUS, spawn_key=(_purpose_key(purpose),)
    )
    return np.random.default_rng(sequence)


def random_labels(rng: np.random.Generator, n: int) -> npt.NDArray[np.int64]:
    """A uniformly random permutation of ``0..n-1``: ``labels[i]`` is the new label of ``i``."""
    labels: npt.NDArray[np.int64] = rng.permutation(n).astype(np.int64)
    return labels


def fair_coins(rng: np.random.Generator, n: int) -> npt.NDArray[np.bool_]:
    """``n`` independent fair coins (True with probability exactly 1/2)."""
    coins: npt.NDArray[np.bool_] = rng.integers(0, 2, size=n, dtype=np.int8) == 1
    return coins
