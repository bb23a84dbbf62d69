"""The two residual-branch modifiers of a MetaFormer block."""
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
        self.scale = nn.Parameter(torch.full((dim, ), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch of a sample.

    Args:
        drop_prob (float): Probability of dropping. Defaults to 0.
    """

    def __init__(self, drop_prob: float = 0.0):
        super().__init__()
        self.drop_prob = float(drop_prob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        mask_shape = (x.shape[0], ) + (1, ) * (x.ndim - 1)
        mask = x.new_empty(mask_shape).bernoulli_(keep)
        return x * mask.div_(keep)

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'
