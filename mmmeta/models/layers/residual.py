"""The two residual-branch modifiers of a MetaFormer block."""

from typing import Optional

import torch
from torch import nn


class Scale(nn.Module):
    """Learnable per-channel scale of a channels-last tensor.

    Used as layer scale (on the residual branch) and as res scale (on the
    skip connection).

    Args:
        dim (int): Number of channels.
        init_value (float): Initial value of every entry. Defaults to 1.0.
    """

    def __init__(self, dim: int, init_value: float = 1.0):
        super().__init__()
        self.scale = nn.Parameter(torch.full((dim,), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def optional_scale(dim: int, value: Optional[float]) -> nn.Module:
    """A :class:`Scale` starting at ``value``, or ``nn.Identity`` for None
    (no scale)."""
    return nn.Identity() if value is None else Scale(dim, value)


def optional_drop_path(rate: float) -> nn.Module:
    """A :class:`DropPath` of ``rate``, or ``nn.Identity`` for 0."""
    return DropPath(rate) if rate else nn.Identity()


def add_scaled(
    x: torch.Tensor, y: torch.Tensor, layer_scale: nn.Module
) -> torch.Tensor:
    """``x + layer_scale(y)``, one fused op when ``layer_scale`` is a
    :class:`Scale` (a residual branch without res scale)."""
    if isinstance(layer_scale, Scale):
        return torch.addcmul(x, y, layer_scale.scale)
    return x + layer_scale(y)


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch of a sample.

    Args:
        drop_prob (float): Probability of dropping. Defaults to 0.
    """

    def __init__(self, drop_prob: float = 0.0):
        super().__init__()
        self.drop_prob = float(drop_prob)

    def keep_factor(self, x: torch.Tensor) -> Optional[torch.Tensor]:
        """The per-sample factor (0 or ``1 / keep``, shaped to broadcast
        over ``x``) of one call, or None when nothing is dropped."""
        if self.drop_prob == 0.0 or not self.training:
            return None
        keep = 1.0 - self.drop_prob
        mask_shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        # out of place: an activation checkpoint keeps in-place ops'
        # results instead of running them again (layers.checkpointing)
        return torch.bernoulli(x.new_full(mask_shape, keep)) / keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        factor = self.keep_factor(x)
        return x if factor is None else x * factor

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'
