"""FFNet's layers: re-parameterisable convolutions and the two mixers.

FFNet replaces self-attention by its "FFNified" mirror image: a 1x1
projection, a depthwise convolution in place of the query-key product, GELU
in place of softmax and a second depthwise convolution in place of the
attention-value product. The channel mixer is ConvNeXt's (depthwise
convolution, then a 1x1 MLP). Convolutions carry BatchNorm, and the large
depthwise ones parallel branches (RepVGG style); each such unit is
:class:`~mmmeta.models.layers.Fusable` and folds into one plain convolution
for deployment.

Every mixer takes and returns a channels-last ``(B, H, W, C)`` map, like the
other mixers of the MetaFormer core; convolutions run on its free NCHW view.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ....registry import MODELS
from ...layers import (
    GELU,
    Fusable,
    Reparameterizable,
    build_norm,
    gelu,
    linear_add_to,
    nchw_view,
    nhwc_view,
    pointwise,
)


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


def _pad_to(weight: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Zero-pad a ``(out, in, kh, kw)`` kernel to ``size`` (centred)."""
    dh, dw = size[0] - weight.shape[2], size[1] - weight.shape[3]
    return F.pad(weight, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])


def _sum_of_convs(branches: Sequence[nn.Conv2d]) -> nn.Conv2d:
    """One convolution equal to the sum of same-stride convolutions with
    centred kernels of different sizes."""
    big = max(branches, key=lambda c: c.kernel_size[0] * c.kernel_size[1])
    weight = sum(_pad_to(c.weight, big.kernel_size) for c in branches)
    return _plain_conv(big, weight, sum(c.bias for c in branches))


class ConvBN(Fusable):
    """Convolution without bias, then a norm (``c``, ``bn``)."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size=1, stride: int = 1, padding=0,
                 groups: int = 1, norm_cfg: Optional[dict] = None):
        super().__init__()
        self.c = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                           padding, groups=groups, bias=False)
        self.bn = build_norm(norm_cfg or dict(type='BN'), out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(run_conv(self.c, x))

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        scale, shift = _bn_scale_shift(self.bn)
        return _plain_conv(self.c, self.c.weight * scale[:, None, None, None],
                           shift)


class RepDWConv(Fusable):
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
        return _sum_of_convs([self.conv.fuse(), self.conv1.fuse()])


class StripRepDWConv(Fusable):
    """FFNet-seg's depthwise unit: a ``k x k`` conv, a ``(k-4) x (k-4)`` one
    (for ``k > 3``), a ``1 x k`` and a ``k x 1`` strip, each with BN, in
    parallel (``conv1``, ``conv2``, ``strip_conv1``, ``strip_conv2``)."""

    def __init__(self, channels: int, kernel_size: int = 9,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        k = kernel_size

        def unit(size, padding):
            return ConvBN(channels, channels, size, 1, padding,
                          groups=channels, norm_cfg=norm_cfg)

        self.conv1 = unit(k, k // 2)
        if k > 3:
            self.conv2 = unit(k - 4, (k - 4) // 2)
        self.strip_conv1 = unit((1, k), (0, k // 2))
        self.strip_conv2 = unit((k, 1), (k // 2, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum(branch(x) for branch in self.children())

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        return _sum_of_convs([branch.fuse() for branch in self.children()])


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
        scale, shift = _bn_scale_shift(self.bn)
        weight = self.c.weight.flatten(1)
        eye = torch.eye(weight.shape[0], device=weight.device,
                        dtype=weight.dtype)
        fused = (weight * scale[None, :] + eye)[..., None, None]
        return _plain_conv(self.c, fused, weight @ shift)


def depthwise_unit(dim: int, kernel_size: int, norm_cfg: Optional[dict],
                   with_bn: bool, kind: str = 'rep') -> nn.Module:
    """The depthwise convolution of a mixer.

    ``kind='rep'`` (FFNet): RepDWConv for 7x7, else a ConvBN (channel mixer,
    ``with_bn``) or a plain conv with bias (token mixer). ``kind='strip'``
    (FFNet-seg): StripRepDWConv.
    """
    if kind == 'strip':
        return StripRepDWConv(dim, kernel_size, norm_cfg)
    if kind != 'rep':
        raise ValueError(f"depthwise kind must be 'rep' or 'strip', got "
                         f'{kind!r}')
    if kernel_size == 7:
        return RepDWConv(dim, dim, 7, norm_cfg=norm_cfg)
    if with_bn:
        return ConvBN(dim, dim, kernel_size, 1, kernel_size // 2, groups=dim,
                      norm_cfg=norm_cfg)
    return nn.Conv2d(dim, dim, kernel_size, 1, kernel_size // 2, groups=dim)


class _ConvMixer(Reparameterizable):
    """A mixer whose last convolution ``last_conv`` absorbs a per-channel
    output scale once its units are fused."""

    last_conv = ''

    @torch.no_grad()
    def absorb_output_scale(self, scale: torch.Tensor) -> bool:
        conv = getattr(self, self.last_conv)
        if not isinstance(conv, nn.Conv2d) or conv.bias is None:
            return False  # not fused (yet)
        conv.weight.mul_(scale.view(-1, 1, 1, 1))
        conv.bias.mul_(scale)
        return True


@MODELS.register_module()
class FFNifiedAttention(_ConvMixer):
    """FFNet's token mixer: ``conv2(gelu(conv1(fc(x))))`` with a 1x1
    ConvBN ``fc`` and depthwise ``conv1`` (keys), ``conv2`` (values).

    Args:
        dim (int): Channels.
        kernel_size1 (int): Kernel of ``conv1``. Defaults to 3.
        kernel_size2 (int): Kernel of ``conv2``. Defaults to 3.
        norm_cfg (dict, optional): Norm of the ConvBN units. Defaults to BN.
        depthwise (str): ``'rep'`` (FFNet) or ``'strip'`` (FFNet-seg), see
            :func:`depthwise_unit`. Defaults to ``'rep'``.
    """

    last_conv = 'conv2'

    def __init__(self, dim: int, kernel_size1: int = 3,
                 kernel_size2: int = 3, norm_cfg: Optional[dict] = None,
                 depthwise: str = 'rep'):
        super().__init__()
        self.fc = ConvBN(dim, dim, norm_cfg=norm_cfg)
        self.conv1 = depthwise_unit(dim, kernel_size1, norm_cfg, False,
                                    depthwise)
        self.conv2 = depthwise_unit(dim, kernel_size2, norm_cfg, False,
                                    depthwise)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = run_conv(self.fc, nchw_view(x))
        return nhwc_view(self.conv2(gelu(self.conv1(x))))


@MODELS.register_module()
class ConvFFN(_ConvMixer):
    """FFNet's channel mixer: depthwise ConvBN (``conv``), then a 1x1 MLP
    with GELU (``fc1``, ``fc2``).

    Args:
        dim (int): Channels.
        kernel_size (int): Depthwise kernel (3, or 7 with a parallel 3x3).
            Defaults to 7.
        mlp_ratio (float): Hidden channels per channel. Defaults to 3.
        norm_cfg (dict, optional): Norm of the ConvBN units. Defaults to BN.
        depthwise (str): ``'rep'`` (FFNet) or ``'strip'`` (FFNet-seg's
            head), see :func:`depthwise_unit`. Defaults to ``'rep'``.
    """

    last_conv = 'fc2'

    def __init__(self, dim: int, kernel_size: int = 7, mlp_ratio: float = 3,
                 norm_cfg: Optional[dict] = None, depthwise: str = 'rep'):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.conv = depthwise_unit(dim, kernel_size, norm_cfg, True,
                                   depthwise)
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        x = nhwc_view(self.conv(nchw_view(x)))
        return gelu(F.linear(x, self.fc1.weight.flatten(1), self.fc1.bias),
                    inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(self.hidden(x), self.fc2.weight.flatten(1),
                        self.fc2.bias)

    def add_to(self, skip: torch.Tensor, x: torch.Tensor,
               owned: bool = False) -> torch.Tensor:
        if torch.is_grad_enabled() or self.training:
            return skip + self(x)
        return linear_add_to(skip, self.hidden(x), self.fc2.weight.flatten(1),
                             self.fc2.bias, owned)


@MODELS.register_module()
class ConvBNStem(Reparameterizable):
    """A stem of 3x3 ConvBN units (``layers``), to a ``(B, H/4, W/4, C)``
    map.

    Args:
        in_channels (int): Image channels.
        out_channels (int): Output channels.
        spec (sequence): One ``(channels, stride, gelu_after)`` per unit;
            ``channels`` None means ``out_channels``. Defaults to FFNet's:
            ``((64, 2, True), (None, 2, False))``.
        norm_cfg (dict, optional): Norm. Defaults to BN.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 spec: Sequence = ((64, 2, True), (None, 2, False)),
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        layers, channels = [], in_channels
        for width, stride, act in spec:
            width = width or out_channels
            layers.append(ConvBN(channels, width, 3, stride, 1,
                                 norm_cfg=norm_cfg))
            if act:
                layers.append(GELU())
            channels = width
        self.layers = nn.Sequential(*layers)

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


@MODELS.register_module()
class ConvBNDownsampling(Reparameterizable):
    """FFNet-seg's patch merging: a stride-2 3x3 ConvBN to ``2 * out``
    channels, GELU, a 1x1 ConvBN to ``out`` (``proj.0``, ``proj.2``).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        norm_cfg (dict, optional): Norm. Defaults to BN.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        self.proj = nn.Sequential(
            ConvBN(in_channels, 2 * out_channels, 3, 2, 1, norm_cfg=norm_cfg),
            GELU(), ConvBN(2 * out_channels, out_channels,
                              norm_cfg=norm_cfg))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj[1](self.proj[0](nchw_view(x)))
        return nhwc_view(run_conv(self.proj[2], x))
