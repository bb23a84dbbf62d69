"""The official op sequences of PoolFormer v1 (sail-sg/poolformer) and the
MetaFormer baselines (sail-sg/metaformer), run on a mmmeta backbone's own
parameters: the baseline of ``benchmark.py`` and of the tests that compare
mmmeta's forward with the official order of operations. mmmeta's models
have one forward; these are not part of it.
"""

import types
from typing import Callable, Tuple

import torch
from torch import nn

from mmmeta.models import PoolFormer
from mmmeta.models.backbones.metaformer_baselines.backbone import (
    MetaFormerBaseline,
)

from . import metaformer_baselines, poolformer


def reference_forward_of(backbone: nn.Module) -> Callable:
    """``reference_forward(backbone, x)`` of the backbone's family."""
    if isinstance(backbone, PoolFormer):
        return poolformer.reference_forward
    if isinstance(backbone, MetaFormerBaseline):
        return metaformer_baselines.reference_forward
    raise ValueError(
        f'{type(backbone).__name__} has no official op sequence here '
        f'(PoolFormer and the MetaFormer baselines have)'
    )


def use_reference(model: nn.Module) -> nn.Module:
    """Make ``model`` (a backbone, or a model with a ``backbone``) run the
    official op sequence in its backbone, in place; returns ``model``."""
    backbone = getattr(model, 'backbone', model)
    forward = reference_forward_of(backbone)

    def reference(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        self.check_input(x)
        return forward(self, x)

    backbone.forward = types.MethodType(reference, backbone)
    return model
