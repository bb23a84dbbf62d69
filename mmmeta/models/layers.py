"""Building blocks shared by every MetaFormer family.

All layers here work on channels-last token maps of shape ``(B, H, W, C)``,
the layout the MetaFormer core keeps inside its stages: the 1x1 projections
then are plain matrix products over ``B*H*W`` rows, the fastest form on both
CPU and GPU.

References:
    Yu et al., "MetaFormer Is Actually What You Need for Vision", CVPR 2022,
    https://github.com/sail-sg/poolformer.
    Yu et al., "MetaFormer Baselines for Vision", TPAMI 2024,
    https://github.com/sail-sg/metaformer.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import MODELS, build_module


@MODELS.register_module()
class GroupNorm1(nn.Module):
    """GroupNorm with one group on a ``(B, H, W, C)`` map.

    The statistics are taken over H, W and C jointly (``nn.GroupNorm(1, C)``
    of the official NCHW code); the affine transform is per channel.

    Args:
        dim (int): Number of channels.
        eps (float): Added to the variance. Defaults to 1e-5.
        bias (bool): Whether to learn a per-channel bias. Defaults to True.
    """

    def __init__(self, dim: int, eps: float = 1e-5, bias: bool = True):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x, x.shape[1:], eps=self.eps)
        if self.bias is None:
            return x * self.weight
        return torch.addcmul(self.bias, x, self.weight)

    def extra_repr(self) -> str:
        return (f'{self.weight.numel()}, eps={self.eps}, '
                f'bias={self.bias is not None}')


@MODELS.register_module()
class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channel (last) dimension of a ``(B, H, W, C)`` map.

    Args:
        dim (int): Number of channels.
        eps (float): Added to the variance. Defaults to 1e-6.
        bias (bool): Whether to learn a bias. Defaults to False, as in the
            MetaFormer baselines.
    """

    def __init__(self, dim: int, eps: float = 1e-6, bias: bool = False):
        super().__init__(dim, eps=eps, bias=bias)


@MODELS.register_module()
class StarReLU(nn.Module):
    """StarReLU: ``s * relu(x) ** 2 + b`` with learnable scalars s and b.

    Args:
        scale_value (float): Initial s. Defaults to 1.0.
        bias_value (float): Initial b. Defaults to 0.0.
        scale_learnable (bool): Whether s is trained. Defaults to True.
        bias_learnable (bool): Whether b is trained. Defaults to True.
    """

    def __init__(self, scale_value: float = 1.0, bias_value: float = 0.0,
                 scale_learnable: bool = True, bias_learnable: bool = True):
        super().__init__()
        self.scale = nn.Parameter(torch.full((1, ), float(scale_value)),
                                  requires_grad=scale_learnable)
        self.bias = nn.Parameter(torch.full((1, ), float(bias_value)),
                                 requires_grad=bias_learnable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.bias, self.scale, F.relu(x).square())


@MODELS.register_module()
class SquaredReLU(nn.Module):
    """``relu(x) ** 2`` (Primer), used by the MetaFormer MLP classifier
    head."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x).square()


MODELS.register_module('GELU', module=nn.GELU)
MODELS.register_module('ReLU', module=nn.ReLU)
# Standard norms under OpenMMLab's names, so that norm configs resolve in
# mmmeta's scope without mmcv. LN normalises the last (channel) dimension of
# a channels-last map; BN / SyncBN an NCHW map.
MODELS.register_module('LN', module=nn.LayerNorm)
MODELS.register_module('BN', module=nn.BatchNorm2d)
MODELS.register_module('SyncBN', module=nn.SyncBatchNorm)


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


def gelu(x: torch.Tensor, approximate: str = 'none') -> torch.Tensor:
    """GELU; at inference (no autograd) in place, saving an allocation the
    size of ``x``, which must then be a temporary."""
    if torch.is_grad_enabled():
        return F.gelu(x, approximate=approximate)
    return torch.ops.aten.gelu_(x, approximate=approximate)


class Mlp(nn.Module):
    """Channel MLP: ``fc1 -> act -> drop -> fc2 -> drop``.

    Args:
        dim (int): Input and output channels.
        mlp_ratio (float): Hidden channels as a multiple of ``dim``.
            Defaults to 4.
        act_cfg (dict): Activation. Defaults to ``dict(type='StarReLU')``.
        bias (bool): Whether the two projections have biases.
            Defaults to False.
        drop (float): Dropout rate. Defaults to 0.
    """

    def __init__(self, dim: int, mlp_ratio: float = 4,
                 act_cfg: Optional[dict] = None, bias: bool = False,
                 drop: float = 0.0):
        super().__init__()
        hidden = int(mlp_ratio * dim)
        self.fc1 = nn.Linear(dim, hidden, bias=bias)
        self.act = build_module(act_cfg or dict(type='StarReLU'))
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden, dim, bias=bias)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fc1(x)
        if isinstance(self.act, nn.GELU):
            x = gelu(x, self.act.approximate)
        else:
            x = self.act(x)
        return self.drop2(self.fc2(self.drop1(x)))


def nchw_view(x: torch.Tensor) -> torch.Tensor:
    """View a contiguous ``(B, H, W, C)`` tensor as NCHW without copying.

    The result has ``torch.channels_last`` strides, which convolutions and
    pooling consume directly.
    """
    return x.permute(0, 3, 1, 2)


def nhwc_view(x: torch.Tensor) -> torch.Tensor:
    """View an NCHW tensor as ``(B, H, W, C)``; free if it is channels-last."""
    return x.permute(0, 2, 3, 1)
