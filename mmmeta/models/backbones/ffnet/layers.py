"""FFNet's layers: its two mixers, stem and patch mergings (the
re-parameterisable conv-BN units they use are ``models/layers/conv_bn.py``).

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

from ....registry import MODELS, build_module
from ...layers import (
    GELU,
    AddsThroughOutputProjection,
    BNConvSkip,
    ConvBN,
    Reparameterizable,
    RepDWConv,
    StripRepDWConv,
    depthwise_conv,
    gelu,
    nchw_view,
    nhwc_view,
    run_conv,
)


def depthwise_unit(
    dim: int,
    kernel_size: int,
    norm_cfg: Optional[dict],
    with_bn: bool,
    kind: str = 'rep',
) -> nn.Module:
    """The depthwise convolution of a mixer.

    ``kind='rep'`` (FFNet): RepDWConv for 7x7, else a ConvBN (channel mixer,
    ``with_bn``) or a plain conv with bias (token mixer). ``kind='strip'``
    (FFNet-seg): StripRepDWConv.
    """
    if kind == 'strip':
        return StripRepDWConv(dim, kernel_size, norm_cfg)
    if kind != 'rep':
        raise ValueError(
            f"depthwise kind must be 'rep' or 'strip', got {kind!r}"
        )
    if kernel_size == 7:
        return RepDWConv(dim, dim, 7, norm_cfg=norm_cfg)
    if with_bn:
        return ConvBN(
            dim,
            dim,
            kernel_size,
            1,
            kernel_size // 2,
            groups=dim,
            norm_cfg=norm_cfg,
        )
    return depthwise_conv(dim, kernel_size)


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
        kernel_size (int): Kernel of ``conv1`` and ``conv2``. Defaults to 3.
        norm_cfg (dict, optional): Norm of the ConvBN units. Defaults to BN.
        depthwise (str): ``'rep'`` (FFNet) or ``'strip'`` (FFNet-seg), see
            :func:`depthwise_unit`. Defaults to ``'rep'``.
    """

    last_conv = 'conv2'

    def __init__(
        self,
        dim: int,
        kernel_size: int = 3,
        norm_cfg: Optional[dict] = None,
        depthwise: str = 'rep',
    ):
        super().__init__()
        self.fc = ConvBN(dim, dim, norm_cfg=norm_cfg)
        self.conv1 = depthwise_unit(
            dim, kernel_size, norm_cfg, False, depthwise
        )
        self.conv2 = depthwise_unit(
            dim, kernel_size, norm_cfg, False, depthwise
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = run_conv(self.fc, nchw_view(x))
        return nhwc_view(self.conv2(gelu(self.conv1(x))))


@MODELS.register_module()
class ConvFFN(AddsThroughOutputProjection, _ConvMixer):
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

    def __init__(
        self,
        dim: int,
        kernel_size: int = 7,
        mlp_ratio: float = 3,
        norm_cfg: Optional[dict] = None,
        depthwise: str = 'rep',
    ):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.conv = depthwise_unit(dim, kernel_size, norm_cfg, True, depthwise)
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        x = nhwc_view(self.conv(nchw_view(x)))
        return gelu(
            F.linear(x, self.fc1.weight.flatten(1), self.fc1.bias),
            inplace=True,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(
            self.hidden(x), self.fc2.weight.flatten(1), self.fc2.bias
        )


@MODELS.register_module()
class ConvBNStem(Reparameterizable):
    """A stem of 3x3 ConvBN units (``layers``), to a ``(B, H/4, W/4, C)``
    map.

    Args:
        in_channels (int): Image channels.
        out_channels (int): Output channels.
        spec (sequence): One ``(channels, stride, act_after)`` per unit;
            ``channels`` None means ``out_channels``. Defaults to FFNet's:
            ``((64, 2, True), (None, 2, False))``.
        norm_cfg (dict, optional): Norm. Defaults to BN.
        act_cfg (dict): The activation after the units that have one.
            Defaults to ``dict(type='GELU')``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        spec: Sequence = ((64, 2, True), (None, 2, False)),
        norm_cfg: Optional[dict] = None,
        act_cfg: Optional[dict] = None,
    ):
        super().__init__()
        act_cfg = act_cfg or dict(type='GELU')
        layers, channels = [], in_channels
        for width, stride, act in spec:
            width = width or out_channels
            layers.append(
                ConvBN(channels, width, 3, stride, 1, norm_cfg=norm_cfg)
            )
            if act:
                layers.append(build_module(act_cfg))
            channels = width
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous(memory_format=torch.channels_last)
        return nhwc_view(self.layers(x))


class _Merging(Reparameterizable):
    """A stride-2 patch merging of FFNet, built by the subclass's
    ``build(in_channels, out_channels, norm_cfg)``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        norm_cfg (dict, optional): Norm. Defaults to BN.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm_cfg: Optional[dict] = None,
    ):
        super().__init__()
        self.build(in_channels, out_channels, norm_cfg)


@MODELS.register_module()
class RepDownsampling(_Merging):
    """FFNet's patch merging: a stride-2 RepDWConv from ``C`` to ``2C``
    (``dw``), then ``x + conv1x1(bn(x))`` (``pw``); ``out_channels`` is a
    multiple of ``in_channels``."""

    def build(self, in_channels, out_channels, norm_cfg) -> None:
        self.dw = RepDWConv(in_channels, out_channels, 7, 2, norm_cfg)
        self.pw = BNConvSkip(out_channels, norm_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nhwc_view(run_conv(self.pw, self.dw(nchw_view(x))))


@MODELS.register_module()
class ConvBNDownsampling(_Merging):
    """FFNet-seg's patch merging: a stride-2 3x3 ConvBN to ``2 * out``
    channels, GELU, a 1x1 ConvBN to ``out`` (``proj.0``, ``proj.2``)."""

    def build(self, in_channels, out_channels, norm_cfg) -> None:
        self.proj = nn.Sequential(
            ConvBN(in_channels, 2 * out_channels, 3, 2, 1, norm_cfg=norm_cfg),
            GELU(),
            ConvBN(2 * out_channels, out_channels, norm_cfg=norm_cfg),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj[1](self.proj[0](nchw_view(x)))
        return nhwc_view(run_conv(self.proj[2], x))
