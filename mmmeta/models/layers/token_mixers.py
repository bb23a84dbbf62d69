"""The two token mixers of the MetaFormer papers that several families
share: pooling (PoolFormer v1 and v2) and identity (IdentityFormer,
RandFormer).

A token mixer takes ``dim`` as its first argument and maps a channels-last
``(B, H, W, C)`` tensor to one of the same shape.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from ...registry import MODELS
from .layout import nchw_view, nhwc_view
from .norms import GroupNorm1
from .reparam import Reparameterizable


def _average(x: torch.Tensor, size: int) -> torch.Tensor:
    return nhwc_view(
        F.avg_pool2d(
            nchw_view(x),
            size,
            stride=1,
            padding=size // 2,
            count_include_pad=False,
        )
    )


@MODELS.register_module()
class Pooling(Reparameterizable):
    """PoolFormer's mixer: ``avg_pool(x) - x``.

    The average excludes padding (``count_include_pad=False``), so border
    tokens average only their in-image neighbours, as in the official code.

    Deploy: after a :class:`GroupNorm1` pre-norm, ``pool(gn(x)) - gn(x)``
    equals ``(pool(x) - x) * weight / std(x)`` (the averaging weights sum to
    one, so the mean and the norm's bias cancel). The mixer absorbs that
    norm and the layer scale, and the residual ``x + s * (pool(x) - x)``
    becomes one ``torch.lerp``.

    Args:
        dim (int): Channels (unused; kept for a uniform mixer signature).
        pool_size (int): Pooling window. Defaults to 3.
    """

    def __init__(self, dim: int, pool_size: int = 3):
        super().__init__()
        self.pool_size = pool_size
        self.norm_eps: Optional[float] = None
        self.register_buffer('deploy_scale', None)

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        return _average(x, self.pool_size)

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        """``weight / std(x)`` per sample and channel (absorbed norm), in
        ``x``'s dtype; the statistics are taken in float32, as the norm
        itself does under autocast."""
        var = torch.var(x.float(), dim=(1, 2, 3), unbiased=False, keepdim=True)
        scale = self.deploy_scale.float() * torch.rsqrt(var + self.norm_eps)
        return scale.to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy_scale is None:
            return self.pool(x) - x
        return (self.pool(x) - x) * self._scale(x)

    def absorb_preceding_norm(self, norm: nn.Module) -> Optional[nn.Module]:
        if (
            not isinstance(norm, GroupNorm1)
            or norm.weight is None
            or self.deploy_scale is not None
        ):
            return norm
        self.norm_eps = norm.eps
        self.deploy_scale = norm.weight.detach().clone()
        return None

    def absorb_output_scale(self, scale: torch.Tensor) -> bool:
        if self.deploy_scale is None:
            return False
        self.deploy_scale = self.deploy_scale * scale
        return True

    def add_to(
        self, skip: torch.Tensor, x: torch.Tensor, owned: bool = False
    ) -> torch.Tensor:
        if self.deploy_scale is None or x is not skip:
            return skip + self(x)
        return torch.lerp(skip, self.pool(skip), self._scale(skip))

    def extra_repr(self) -> str:
        return f'pool_size={self.pool_size}' + (
            ', norm folded in' if self.deploy_scale is not None else ''
        )


@MODELS.register_module()
class Identity(nn.Module):
    """IdentityFormer's mixer: returns its input.

    Args:
        dim (int): Channels (unused).
    """

    def __init__(self, dim: int = 0):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x
