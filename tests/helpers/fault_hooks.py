"""Test-only hooks that inject faults into a training run (imported by the
fault-tolerance tests through ``custom_imports``)."""

import os

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class PoisonWeightsHook(Hook):
    """Set every weight to NaN before iteration ``at_iter`` (1-based)."""

    def __init__(self, at_iter: int):
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at_iter:
            with torch.no_grad():
                for param in runner.model.parameters():
                    param.fill_(float('nan'))


@HOOKS.register_module()
class DieHook(Hook):
    """Kill this worker (rank ``rank``) at iteration ``at_iter``."""

    def __init__(self, at_iter: int, rank: int = 1):
        self.at_iter, self.rank = at_iter, rank

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at_iter and runner.rank == self.rank:
            os._exit(3)
