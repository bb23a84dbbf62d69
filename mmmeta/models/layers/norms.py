"""Normalisation layers and the one place norms are built from configs.

Every norm here normalises a channels-last ``(B, H, W, C)`` map unless its
name says otherwise; ``BN`` / ``SyncBN`` are PyTorch's NCHW batch norms, used
inside the convolution units of FFNet.
"""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ...registry import MODELS, build_module
from .layout import nchw_view, nhwc_view


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
        if self.weight is None:  # affine folded away (switch_to_deploy)
            return x if self.bias is None else x + self.bias
        if self.bias is None:
            return x * self.weight
        return torch.addcmul(self.bias, x, self.weight)

    def extra_repr(self) -> str:
        affine = 'folded' if self.weight is None else 'per channel'
        return f'eps={self.eps}, affine {affine}'


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
class BatchNormNHWC(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` applied to a channels-last ``(B, H, W, C)`` map
    (the same parameters and buffers; e.g. FFNet's classifier norm)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nhwc_view(super().forward(nchw_view(x)))


# Standard layers under OpenMMLab's names, so that configs resolve in
# mmmeta's scope without mmcv. LN normalises the last (channel) dimension of
# a channels-last map; BN / SyncBN an NCHW map.
MODELS.register_module('LN', module=nn.LayerNorm)
MODELS.register_module('BN', module=nn.BatchNorm2d)
MODELS.register_module('SyncBN', module=nn.SyncBatchNorm)


def build_norm(cfg: Optional[dict], channels: int) -> nn.Module:
    """A norm layer from a config, ``nn.Identity`` for None.

    ``requires_grad=False`` in the config freezes the norm's parameters, as
    mmcv's ``build_norm_layer`` does.
    """
    if cfg is None:
        return nn.Identity()
    cfg = dict(cfg)
    requires_grad = cfg.pop('requires_grad', True)
    norm = build_module(cfg, channels)
    for param in norm.parameters():
        param.requires_grad = requires_grad
    return norm


def take_affine(
    norm: nn.Module,
) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """Remove a norm's per-channel affine transform and return it.

    After this the norm only normalises; the caller folds ``(weight, bias)``
    into the layer that consumes the norm's output. Works for
    :class:`GroupNorm1` and ``nn.LayerNorm`` (and subclasses).

    Returns:
        ``(weight, bias)`` (detached; ``bias`` may be None), or
        ``(None, None)`` if the norm has no affine transform to give.
    """
    if not isinstance(norm, (GroupNorm1, nn.LayerNorm)) or norm.weight is None:
        return None, None
    weight = norm.weight.detach().clone()
    bias = None if norm.bias is None else norm.bias.detach().clone()
    norm.weight = None
    norm.bias = None
    return weight, bias
