"""Re-parameterisable conv-BN units (RepVGG style), shared by the families
that train with BatchNorm and parallel branches (FFNet, its seg head).

Each unit is :class:`~mmmeta.models.layers.Fusable`: for deployment it is
replaced by the one plain convolution it equals (BN folded into the
kernel, parallel centred kernels summed, a ``x + conv(bn(x))`` skip folded
into the identity). They map NCHW maps.
"""

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .conv import Conv2d
from .layout import pointwise
from .norms import build_norm
from .reparam import Fusable


def is_pointwise(conv: nn.Conv2d) -> bool:
    return (
        conv.kernel_size == (1, 1)
        and conv.stride == (1, 1)
        and conv.groups == 1
        and conv.padding == (0, 0)
    )


def run_conv(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a conv unit, or the plain convolution it was fused into, to an
    NCHW map (1x1 convolutions as matrix products)."""
    if isinstance(layer, nn.Conv2d) and is_pointwise(layer):
        return pointwise(layer, x)
    return layer(x)


def bn_scale_shift(bn: nn.modules.batchnorm._BatchNorm):
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


def plain_conv(
    like: nn.Conv2d, weight: torch.Tensor, bias: torch.Tensor
) -> nn.Conv2d:
    conv = Conv2d(
        like.in_channels,
        like.out_channels,
        like.kernel_size,
        like.stride,
        like.padding,
        like.dilation,
        like.groups,
        bias=True,
    ).to(weight.device, weight.dtype)
    conv.weight.data.copy_(weight)
    conv.bias.data.copy_(bias)
    return conv


@torch.no_grad()
def conv_then_bn(conv: nn.Conv2d, bn: nn.Module) -> nn.Conv2d:
    """The convolution equal to ``bn(conv(x))`` (BN in eval mode)."""
    scale, shift = bn_scale_shift(bn)
    bias = shift if conv.bias is None else conv.bias * scale + shift
    return plain_conv(conv, conv.weight * scale[:, None, None, None], bias)


@torch.no_grad()
def bn_then_conv(conv: nn.Conv2d, bn: nn.Module) -> Optional[nn.Conv2d]:
    """The convolution equal to ``conv(bn(x))`` (BN in eval mode), or None
    where none is: with zero padding the border would see the BN shift."""
    if any(conv.padding) or conv.groups != 1:
        return None
    scale, shift = bn_scale_shift(bn)
    bias = (conv.weight * shift[None, :, None, None]).sum((1, 2, 3))
    if conv.bias is not None:
        bias = bias + conv.bias
    return plain_conv(conv, conv.weight * scale[None, :, None, None], bias)


def pad_to(weight: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Zero-pad a ``(out, in, kh, kw)`` kernel to ``size`` (centred)."""
    dh, dw = size[0] - weight.shape[2], size[1] - weight.shape[3]
    return F.pad(weight, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])


def sum_of_convs(branches: Sequence[nn.Conv2d]) -> nn.Conv2d:
    """One convolution equal to the sum of same-stride convolutions with
    centred kernels of different sizes."""
    big = max(branches, key=lambda c: c.kernel_size[0] * c.kernel_size[1])
    weight = sum(pad_to(c.weight, big.kernel_size) for c in branches)
    return plain_conv(big, weight, sum(c.bias for c in branches))


class ConvBN(Fusable):
    """Convolution without bias, then a norm (``c``, ``bn``)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=1,
        stride: int = 1,
        padding=0,
        groups: int = 1,
        norm_cfg: Optional[dict] = None,
    ):
        super().__init__()
        self.c = Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups=groups,
            bias=False,
        )
        self.bn = build_norm(norm_cfg or dict(type='BN'), out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(run_conv(self.c, x))

    def fuse(self) -> nn.Conv2d:
        return conv_then_bn(self.c, self.bn)


class RepDWConv(Fusable):
    """Depthwise ``kernel_size`` conv + BN in parallel with a depthwise
    ``kernel_size // 2`` conv + BN (``conv``, ``conv1``); the output channels
    may be a multiple of the input channels."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        norm_cfg: Optional[dict] = None,
    ):
        super().__init__()
        small = kernel_size // 2
        self.conv = ConvBN(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=in_channels,
            norm_cfg=norm_cfg,
        )
        self.conv1 = ConvBN(
            in_channels,
            out_channels,
            small,
            stride,
            small // 2,
            groups=in_channels,
            norm_cfg=norm_cfg,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) + self.conv1(x)

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        return sum_of_convs([self.conv.fuse(), self.conv1.fuse()])


class StripRepDWConv(Fusable):
    """FFNet-seg's depthwise unit: a ``k x k`` conv, a ``(k-4) x (k-4)`` one
    (for ``k > 3``), a ``1 x k`` and a ``k x 1`` strip, each with BN, in
    parallel (``conv1``, ``conv2``, ``strip_conv1``, ``strip_conv2``)."""

    def __init__(
        self,
        channels: int,
        kernel_size: int = 9,
        norm_cfg: Optional[dict] = None,
    ):
        super().__init__()
        k = kernel_size

        def unit(size, padding):
            return ConvBN(
                channels,
                channels,
                size,
                1,
                padding,
                groups=channels,
                norm_cfg=norm_cfg,
            )

        self.conv1 = unit(k, k // 2)
        if k > 3:
            self.conv2 = unit(k - 4, (k - 4) // 2)
        self.strip_conv1 = unit((1, k), (0, k // 2))
        self.strip_conv2 = unit((k, 1), (k // 2, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum(branch(x) for branch in self.children())

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        return sum_of_convs([branch.fuse() for branch in self.children()])


class BNConvSkip(Fusable):
    """``x + conv1x1(bn(x))`` without conv bias (``bn``, ``c``)."""

    def __init__(self, channels: int, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.bn = build_norm(norm_cfg or dict(type='BN'), channels)
        self.c = nn.Conv2d(channels, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pointwise(self.c, self.bn(x)) + x

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        scale, shift = bn_scale_shift(self.bn)
        weight = self.c.weight.flatten(1)
        eye = torch.eye(
            weight.shape[0], device=weight.device, dtype=weight.dtype
        )
        fused = (weight * scale[None, :] + eye)[..., None, None]
        return plain_conv(self.c, fused, weight @ shift)
