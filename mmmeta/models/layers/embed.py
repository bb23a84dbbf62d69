"""Patch embedding (stem) and downsampling of the MetaFormer core.

Deploy folds a BatchNorm after the convolution into it, and one before it
where that is exact (no padding), e.g. InceptionNeXt's.
"""

from typing import Optional

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import MODELS
from .conv import Conv2d
from .conv_bn import bn_then_conv, conv_then_bn
from .layout import nchw_view, nhwc_view
from .norms import build_norm
from .reparam import Reparameterizable


def embedding(
    type_: str, kernel_size: int, stride: int, padding: int, **norms
) -> dict:
    """The arch-table config of a :class:`Stem` or :class:`Downsampling`
    (``type_``) of this geometry, with its norms (``norm_cfg``,
    ``post_norm_cfg``)."""
    return dict(
        type=type_,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        **norms,
    )


def _fold_batch_norms(part: nn.Module, pre: Optional[str], post: str) -> None:
    """Fold ``part``'s BatchNorms named ``pre`` (before ``part.conv``) and
    ``post`` (after it) into the convolution, where exact."""
    before = getattr(part, pre) if pre else None
    if isinstance(before, _BatchNorm):
        folded = bn_then_conv(part.conv, before)
        if folded is not None:
            part.conv = folded
            setattr(part, pre, nn.Identity())
    after = getattr(part, post)
    if isinstance(after, _BatchNorm):
        part.conv = conv_then_bn(part.conv, after)
        setattr(part, post, nn.Identity())


@MODELS.register_module()
class Stem(Reparameterizable):
    """Patch embedding: an NCHW image to a ``(B, H/s, W/s, C)`` token map.

    Args:
        in_channels (int): Image channels.
        out_channels (int): Token channels.
        kernel_size, stride, padding (int): Convolution geometry.
            Defaults to 7, 4, 2 (PoolFormer).
        norm_cfg (dict, optional): Norm after the convolution.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 7,
        stride: int = 4,
        padding: int = 2,
        norm_cfg: Optional[dict] = None,
    ):
        super().__init__()
        self.conv = Conv2d(
            in_channels, out_channels, kernel_size, stride, padding
        )
        self.norm = build_norm(norm_cfg, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # A channels-last input makes the convolution write channels-last,
        # so the NHWC view below is contiguous at no cost.
        x = self.conv(x.contiguous(memory_format=torch.channels_last))
        return self.norm(nhwc_view(x))

    def switch_to_deploy(self) -> None:
        _fold_batch_norms(self, None, 'norm')


@MODELS.register_module()
class Downsampling(Reparameterizable):
    """Optional pre-norm, a strided convolution and an optional post-norm,
    on ``(B, H, W, C)`` maps.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        norm_cfg (dict, optional): Norm before the convolution (MetaFormer
            baselines).
        post_norm_cfg (dict, optional): Norm after the convolution
            (TransNeXt's overlapping patch embedding).
        kernel_size, stride, padding (int): Convolution geometry.
            Defaults to 3, 2, 1.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm_cfg: Optional[dict] = None,
        post_norm_cfg: Optional[dict] = None,
        kernel_size: int = 3,
        stride: int = 2,
        padding: int = 1,
    ):
        super().__init__()
        self.norm = build_norm(norm_cfg, in_channels)
        self.conv = Conv2d(
            in_channels, out_channels, kernel_size, stride, padding
        )
        self.post_norm = build_norm(post_norm_cfg, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.post_norm(nhwc_view(self.conv(nchw_view(self.norm(x)))))

    def switch_to_deploy(self) -> None:
        _fold_batch_norms(self, 'norm', 'post_norm')
