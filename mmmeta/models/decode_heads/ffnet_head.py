"""FFNet-seg's decode head for mmseg (imports mmseg; build it through the
registry as ``mmmeta.FFNetHead``).

The official ``FFNetHead`` (ysj9909/FFNet, run in the SegNeXt codebase)
brings the stride-8/16/32 features to stride 8 (bicubic), concatenates
them, squeezes them with two 1x1 ConvBN units to ``head_width`` channels,
runs ``head_depth`` FFNet blocks whose residuals are followed by GELU and
whose depthwise units are strip-re-parameterised, widens by
``final_expansion_ratio`` (1x1 ConvBN, GELU) and classifies. Parameter names
are the official ones, so whole official checkpoints load unchanged.
"""

from typing import List

import torch
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import nn

from ..backbones.ffnet.layers import ConvFFN, FFNifiedAttention
from ..layers import GELU, ConvBN, DropPath, gelu, nchw_view, nhwc_view


class PostActResidual(nn.Module):
    """``gelu(x + drop_path(main(x)))`` on NCHW maps, ``main`` working on
    their channels-last view (``main``)."""

    def __init__(self, main: nn.Module, drop_path: float = 0.0):
        super().__init__()
        self.main = main
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nchw_view(self.main(nhwc_view(x)))
        return gelu(x + self.drop_path(y), inplace=True)


class FFNetHeadBlock(nn.Module):
    """One block of the head: FFNified attention and a ConvFFN, both with
    9x9 strip-re-parameterised depthwise units (``token_mixer``,
    ``channel_mixer``)."""

    def __init__(
        self,
        width: int,
        spatial_ks: int,
        channel_ks: int,
        expansion_ratio: float,
        drop_path: float,
        norm_cfg: dict,
    ):
        super().__init__()
        self.token_mixer = PostActResidual(
            FFNifiedAttention(width, spatial_ks, norm_cfg, depthwise='strip'),
            drop_path,
        )
        self.channel_mixer = PostActResidual(
            ConvFFN(
                width, channel_ks, expansion_ratio, norm_cfg, depthwise='strip'
            ),
            drop_path,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.channel_mixer(self.token_mixer(x))


class FFNetHead(BaseDecodeHead):
    """FFNet-seg's decode head.

    Args:
        spatial_ks (int): Kernel of the token mixers' depthwise units.
            Defaults to 9.
        channel_ks (int): Kernel of the channel mixers' depthwise units.
            Defaults to 9.
        head_width (int): Channels of the head blocks. Defaults to 256.
        head_depth (int): Number of head blocks. Defaults to 3.
        expansion_ratio (float): Hidden channels of the channel mixers per
            channel. Defaults to 4.
        final_expansion_ratio (int, optional): Width of the last 1x1 ConvBN
            as a multiple of ``head_width`` (None: no such layer); ``channels``
            must then be ``head_width * final_expansion_ratio``.
            Defaults to 4.
        drop_path (float): Stochastic depth of the head blocks, rising
            linearly from 0. Defaults to 0.
        **kwargs: See mmseg's ``BaseDecodeHead`` (``in_channels`` (three
            levels), ``channels``, ``num_classes``, ``norm_cfg``,
            ``dropout_ratio``, ``in_index``, ``align_corners``, losses).
    """

    def __init__(
        self,
        spatial_ks: int = 9,
        channel_ks: int = 9,
        head_width: int = 256,
        head_depth: int = 3,
        expansion_ratio: float = 4,
        final_expansion_ratio=4,
        drop_path: float = 0.0,
        **kwargs,
    ):
        super().__init__(input_transform='multiple_select', **kwargs)
        norm_cfg = self.norm_cfg or dict(type='BN')
        total = sum(self.in_channels)
        width = head_width * (final_expansion_ratio or 1)
        if width != self.channels:
            raise ValueError(
                f'FFNetHead: channels ({self.channels}) must be head_width * '
                f'final_expansion_ratio ({width})'
            )
        self.squeeze = nn.Sequential(
            ConvBN(total, total, norm_cfg=norm_cfg),
            GELU(),
            ConvBN(total, head_width, norm_cfg=norm_cfg),
        )
        rates = torch.linspace(0, drop_path, head_depth).tolist()
        self.head_blocks = nn.Sequential(
            *[
                FFNetHeadBlock(
                    head_width,
                    spatial_ks,
                    channel_ks,
                    expansion_ratio,
                    rate,
                    norm_cfg,
                )
                for rate in rates
            ]
        )
        self.align = (
            nn.Identity()
            if not final_expansion_ratio
            else nn.Sequential(
                ConvBN(head_width, width, norm_cfg=norm_cfg), GELU()
            )
        )

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        inputs = self._transform_inputs(inputs)
        size = inputs[0].shape[2:]
        levels = [inputs[0]] + [
            F.interpolate(
                level,
                size=size,
                mode='bicubic',
                align_corners=self.align_corners,
            )
            for level in inputs[1:]
        ]
        x = torch.cat(levels, dim=1).contiguous(
            memory_format=torch.channels_last
        )
        x = self.align(self.head_blocks(self.squeeze(x)))
        return self.cls_seg(x)
