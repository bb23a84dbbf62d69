"""FFNet's layers: re-parameterisable convolutions and the two mixers.

FFNet replaces self-attention by its "FFNified" mirror image: a 1x1
projection, a depthwise convolution in place of the query-key product, GELU
in place of softmax and a second depthwise convolution in place of the
attention-value product. The channel mixer is ConvNeXt's (depthwise
convolution, then a 1x1 MLP). Convolutions carry BatchNorm, and the 7x7
depthwise ones a parallel 3x3 branch (RepVGG style); ``fuse()`` folds both
into one plain convolution for deployment.

Every mixer takes and returns a channels-last ``(B, H, W, C)`` map, like the
other mixers of the MetaFormer core; convolutions run on its free NCHW view.

Reference:
    Yun, Lee, Ro, "MetaMixer Is All You Need" / "FFNet: MetaMixer-based
    Efficient Convolutional Mixer Design", arXiv 2406.02021.
    Official code (Apache-2.0): https://github.com/ysj9909/FFNet
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import MODELS, build_module
from .layers import gelu, nchw_view, nhwc_view

_BN = dict(type='BN')


def build_norm(cfg: Optional[dict], channels: int) -> nn.Module:
    """A norm layer from an OpenMMLab-style config (``requires_grad`` is
    honoured, as by mmcv's ``build_norm_layer``)."""
    cfg = dict(cfg or _BN)
    requires_grad = cfg.pop('requires_grad', True)
    norm = build_module(cfg, channels)
    for param in norm.parameters():
        param.requires_grad = requires_grad
    return norm


def pointwise(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution of an NCHW map as a matrix product over its
    channels-last view (faster than the convolution kernels)."""
    y = F.linear(nhwc_view(x), conv.weight.flatten(1), conv.bias)
    return nchw_view(y)


def _is_pointwise(conv: nn.Conv2d) -> bool:
    return conv.kernel_size == (1, 1) and conv.stride == (1, 1) and \
        conv.groups == 1 and conv.padding == (0, 0)


def run_conv(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a conv unit, or the plain convolution it was fused into, to an
    NCHW map (1x1 convolutions as matrix products)."""
    if isinstance(layer, nn.Conv2d) and _is_pointwise(layer):
        return pointwise(layer, x)
    return layer(x)


def _bn_scale_shift(bn: nn.modules.batchnorm._BatchNorm):
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


def _plain_conv(like: nn.Conv2d, weight: torch.Tensor,
                bias: torch.Tensor) -> nn.Conv2d:
    conv = nn.Conv2d(like.in_channels, like.out_channels, like.kernel_size,
                     like.stride, like.padding, like.dilation, like.groups,
                     bias=True).to(weight.device, weight.dtype)
    conv.weight.data.copy_(weight)
    conv.bias.data.copy_(bias)
    return conv


class ConvBN(nn.Module):
    """Convolution without bias, then a norm (``c``, ``bn``)."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 1, stride: int = 1, padding: int = 0,
                 groups: int = 1, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.c = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                           padding, groups=groups, bias=False)
        self.bn = build_norm(norm_cfg, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(run_conv(self.c, x))

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        scale, shift = _bn_scale_shift(self.bn)
        return _plain_conv(self.c, self.c.weight * scale[:, None, None, None],
                           shift)


class RepDWConv(nn.Module):
    """Depthwise ``kernel_size`` conv + BN in parallel with a depthwise
    ``kernel_size // 2`` conv + BN (``conv``, ``conv1``); the output channels
    may be a multiple of the input channels."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 7, stride: int = 1,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        small = kernel_size // 2
        self.conv = ConvBN(in_channels, out_channels, kernel_size, stride,
                           kernel_size // 2, groups=in_channels,
                           norm_cfg=norm_cfg)
        self.conv1 = ConvBN(in_channels, out_channels, small, stride,
                            small // 2, groups=in_channels, norm_cfg=norm_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) + self.conv1(x)

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        big, small = self.conv.fuse(), self.conv1.fuse()
        pad = (big.kernel_size[0] - small.kernel_size[0]) // 2
        weight = big.weight + F.pad(small.weight, [pad] * 4)
        return _plain_conv(big, weight, big.bias + small.bias)


class BNConvSkip(nn.Module):
    """``x + conv1x1(bn(x))`` without conv bias (``bn``, ``c``)."""

    def __init__(self, channels: int, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.bn = build_norm(norm_cfg, channels)
        self.c = nn.Conv2d(channels, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pointwise(self.c, self.bn(x)) + x

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        scale, shift = _bn_scale_shift(self.bn)
        weight = self.c.weight.flatten(1)
        eye = torch.eye(weight.shape[0], device=weight.device,
                        dtype=weight.dtype)
        fused = (weight * scale[None, :] + eye)[..., None, None]
        return _plain_conv(self.c, fused, weight @ shift)


def fuse_children(module: nn.Module) -> None:
    """Replace every child with a ``fuse()`` method by its fused conv."""
    for name, child in module.named_children():
        if hasattr(child, 'fuse'):
            setattr(module, name, child.fuse())
        else:
            fuse_children(child)


def _scale_output(conv: nn.Conv2d, scale: torch.Tensor) -> None:
    conv.weight.data.mul_(scale.view(-1, 1, 1, 1))
    conv.bias.data.mul_(scale)


def _depthwise(dim: int, kernel_size: int, norm_cfg, with_bn: bool):
    """The depthwise convolution of a mixer: RepDWConv for 7x7, else a
    plain conv with bias (token mixer) or ConvBN (channel mixer)."""
    if kernel_size == 7:
        return RepDWConv(dim, dim, 7, norm_cfg=norm_cfg)
    if with_bn:
        return ConvBN(dim, dim, kernel_size, 1, kernel_size // 2, groups=dim,
                      norm_cfg=norm_cfg)
    return nn.Conv2d(dim, dim, kernel_size, 1, kernel_size // 2, groups=dim)


class Reparameterizable(nn.Module):
    """A module whose BN and parallel branches fold into plain convs."""

    def switch_to_deploy(self) -> None:
        fuse_children(self)


class _Deployable(Reparameterizable):
    """A mixer that can also absorb a per-channel output scale."""

    #: Name of the last convolution (absorbs a layer scale at deploy time).
    last_conv = ''

    @torch.no_grad()
    def fold_output_scale(self, scale: torch.Tensor) -> None:
        """Multiply the output by ``scale`` (per channel) inside the last
        convolution (after :meth:`switch_to_deploy`)."""
        _scale_output(getattr(self, self.last_conv), scale)


@MODELS.register_module()
class FFNifiedAttention(_Deployable):
    """FFNet's token mixer: ``conv2(gelu(conv1(fc(x))))`` with a 1x1
    ConvBN ``fc`` and depthwise ``conv1`` (keys), ``conv2`` (values).

    Args:
        dim (int): Channels.
        kernel_size1 (int): Kernel of ``conv1`` (3 or 7). Defaults to 3.
        kernel_size2 (int): Kernel of ``conv2`` (3 or 7). Defaults to 3.
        norm_cfg (dict, optional): Norm of the ConvBN units. Defaults to BN.
    """

    last_conv = 'conv2'

    def __init__(self, dim: int, kernel_size1: int = 3,
                 kernel_size2: int = 3, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.fc = ConvBN(dim, dim, norm_cfg=norm_cfg)
        self.conv1 = _depthwise(dim, kernel_size1, norm_cfg, with_bn=False)
        self.conv2 = _depthwise(dim, kernel_size2, norm_cfg, with_bn=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = run_conv(self.fc, nchw_view(x))
        return nhwc_view(self.conv2(F.gelu(self.conv1(x))))


@MODELS.register_module()
class ConvFFN(_Deployable):
    """FFNet's channel mixer: depthwise ConvBN (``conv``), then a 1x1 MLP
    with GELU (``fc1``, ``fc2``).

    Args:
        dim (int): Channels.
        kernel_size (int): Depthwise kernel (3, or 7 with a parallel 3x3).
            Defaults to 7.
        mlp_ratio (float): Hidden channels per channel. Defaults to 3.
        norm_cfg (dict, optional): Norm of the ConvBN units. Defaults to BN.
    """

    last_conv = 'fc2'

    def __init__(self, dim: int, kernel_size: int = 7, mlp_ratio: float = 3,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.conv = _depthwise(dim, kernel_size, norm_cfg, with_bn=True)
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nhwc_view(self.conv(nchw_view(x)))
        x = F.linear(x, self.fc1.weight.flatten(1), self.fc1.bias)
        x = gelu(x)
        return F.linear(x, self.fc2.weight.flatten(1), self.fc2.bias)


@MODELS.register_module()
class ConvBNStem(Reparameterizable):
    """FFNet's stem: two stride-2 3x3 ConvBN with GELU between (``0``,
    ``2``), to a ``(B, H/4, W/4, C)`` map.

    Args:
        in_channels (int): Image channels.
        out_channels (int): Output channels.
        mid_channels (int): Channels after the first conv. Defaults to 64.
        norm_cfg (dict, optional): Norm. Defaults to BN.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 mid_channels: int = 64, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.layers = nn.Sequential(
            ConvBN(in_channels, mid_channels, 3, 2, 1, norm_cfg=norm_cfg),
            nn.GELU(),
            ConvBN(mid_channels, out_channels, 3, 2, 1, norm_cfg=norm_cfg))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous(memory_format=torch.channels_last)
        return nhwc_view(self.layers(x))


@MODELS.register_module()
class RepDownsampling(Reparameterizable):
    """FFNet's patch merging: a stride-2 RepDWConv from ``C`` to ``2C``
    (``dw``), then ``x + conv1x1(bn(x))`` (``pw``).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (a multiple of the input's).
        norm_cfg (dict, optional): Norm. Defaults to BN.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        self.dw = RepDWConv(in_channels, out_channels, 7, 2, norm_cfg)
        self.pw = BNConvSkip(out_channels, norm_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nhwc_view(run_conv(self.pw, self.dw(nchw_view(x))))
