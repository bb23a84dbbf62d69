"""Deterministic weights and inputs of the official reference fixtures.

``tests/data/official/*.pt`` hold the outputs of the official
implementations (sail-sg, TransNeXt, FFNet) for a checkpoint and an input
defined by the formulas below (see the fixtures' README).
"""

import functools
import math
import os.path as osp

import numpy as np
import torch

FIXTURE_DIR = osp.join(osp.dirname(__file__), 'data', 'official')


def load_fixture(name: str) -> dict:
    return torch.load(osp.join(FIXTURE_DIR, f'{name}.pt'), weights_only=True)


def fixture_tensor(key: str, shape) -> torch.Tensor:
    """The deterministic value of checkpoint entry ``key``."""
    shape = tuple(shape)
    n = int(np.prod(shape)) if shape else 1
    if key.endswith('num_batches_tracked'):
        return torch.ones(shape, dtype=torch.long)
    seed = sum((j + 1) * ord(c) for j, c in enumerate(key)) % 9973
    v = np.sin(np.arange(n, dtype=np.float64) * 0.37 + seed * 0.01)
    v = torch.from_numpy(v.astype(np.float32)).reshape(shape)
    if len(shape) >= 2:
        return v / math.sqrt(n / shape[0])
    if key.endswith('bias'):
        return 0.05 * v
    return 1.0 + 0.2 * v


@functools.lru_cache(maxsize=None)
def _cached_state_dict(keys: tuple) -> dict:
    return {k: fixture_tensor(k, s) for k, s in keys}


def fixture_state_dict(keys) -> dict:
    """The deterministic checkpoint for ``[(key, shape), ...]`` (a fresh
    copy each call)."""
    keys = tuple((k, tuple(s)) for k, s in keys)
    return {k: v.clone() for k, v in _cached_state_dict(keys).items()}


def fixture_input(batch: int, height: int, width: int) -> torch.Tensor:
    n = batch * 3 * height * width
    v = np.sin(np.arange(n, dtype=np.float64) * 0.013 + 0.5) * 1.5
    return torch.from_numpy(v.astype(np.float32)).reshape(
        batch, 3, height, width
    )


def max_relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    """Largest absolute difference relative to ``ref`` 's largest
    magnitude."""
    return ((out - ref).abs().max() / ref.abs().max()).item()
