"""MambaOut's parts: its two-convolution stem and the Gated CNN block, on
channels-last ``(B, H, W, C)`` maps."""

from typing import Optional

import torch
from torch import nn

from ....registry import MODELS, build_module
from ...layers import (
    Conv2d,
    Reparameterizable,
    Scale,
    apply_activation,
    build_norm,
    depthwise_conv,
    fold_affine_into_linear,
    linear_add_to,
    nchw_view,
    nhwc_view,
    scale_linear_output,
    take_affine,
)
from ...layers.checkpointing import keep_widening_outputs
from ...layers.residual import add_scaled, optional_drop_path, optional_scale

#: MambaOut's norm everywhere: a channel LayerNorm, eps 1e-6, with bias.
LAYER_NORM = dict(type='ChannelLayerNorm', eps=1e-6, bias=True)


@MODELS.register_module()
class MambaOutStem(nn.Module):
    """Two 3x3 stride-2 convolutions (to ``out_channels // 2``, then
    ``out_channels``), with a norm and an activation between them and a norm
    after (``conv1, norm1, act, conv2, norm2``).

    Args:
        in_channels (int): Image channels.
        out_channels (int): Token channels.
        mid_norm (bool): The norm between the convolutions (False in timm's
            ``*_rw`` variants). Defaults to True.
        norm_cfg (dict): Both norms. Defaults to a channel LayerNorm (eps
            1e-6).
        act_cfg (dict): The activation. Defaults to GELU.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mid_norm: bool = True,
        norm_cfg: Optional[dict] = None,
        act_cfg: Optional[dict] = None,
    ):
        super().__init__()
        norm_cfg = norm_cfg or LAYER_NORM
        mid = out_channels // 2
        self.conv1 = Conv2d(in_channels, mid, 3, 2, 1)
        self.norm1 = build_norm(norm_cfg if mid_norm else None, mid)
        self.act = build_module(act_cfg or dict(type='GELU'))
        self.conv2 = Conv2d(mid, out_channels, 3, 2, 1)
        self.norm2 = build_norm(norm_cfg, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x.contiguous(memory_format=torch.channels_last))
        x = self.act(self.norm1(nhwc_view(x)))
        return self.norm2(nhwc_view(self.conv2(nchw_view(x))))


@MODELS.register_module()
class GatedCNNBlock(Reparameterizable):
    """MambaOut's Gated CNN block (Yu & Wang 2024, after Dauphin et al.
    2017), a MetaFormer block whose token mixer and MLP are one::

        g, i, c = split(fc1(norm(x)))
        x = x + drop_path(layer_scale * fc2(act(g) * cat(i, dwconv(c))))

    ``fc1`` makes ``2 * hidden`` channels (``hidden = expansion_ratio *
    dim``): the gate ``g`` and the value, of which the last
    ``conv_ratio * dim`` channels ``c`` pass a depthwise convolution.

    Deploy folds the norm's affine into ``fc1``, the layer scale into
    ``fc2``, and adds the residual inside ``fc2``'s product.

    Args:
        dim (int): Channels.
        expansion_ratio (float): ``hidden / dim``. Defaults to 8/3.
        kernel_size (int): Depthwise kernel. Defaults to 7.
        conv_ratio (float): Convolved channels / ``dim``. Defaults to 1.
        norm_cfg (dict): The pre-norm. Defaults to a channel LayerNorm
            (eps 1e-6).
        act_cfg (dict): The gate's activation. Defaults to GELU.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        layer_scale_init_value (float, optional): Layer scale (timm's
            ``*_rw`` variants); None for none. Defaults to None.
    """

    #: Under ``lean``: fc1's output is kept, fc2's recomputed.
    checkpoint_policy = staticmethod(keep_widening_outputs)

    def __init__(
        self,
        dim: int,
        expansion_ratio: float = 8 / 3,
        kernel_size: int = 7,
        conv_ratio: float = 1.0,
        norm_cfg: Optional[dict] = None,
        act_cfg: Optional[dict] = None,
        drop_path: float = 0.0,
        layer_scale_init_value: Optional[float] = None,
    ):
        super().__init__()
        hidden = int(expansion_ratio * dim)
        conv_channels = int(conv_ratio * dim)
        if conv_channels > hidden:
            raise ValueError(
                f'GatedCNNBlock: conv_ratio * dim ({conv_channels}) exceeds '
                f'the hidden channels ({hidden}); lower conv_ratio.'
            )
        self.norm = build_norm(norm_cfg or LAYER_NORM, dim)
        self.fc1 = nn.Linear(dim, 2 * hidden)
        self.act = build_module(act_cfg or dict(type='GELU'))
        self.conv = depthwise_conv(conv_channels, kernel_size)
        self.fc2 = nn.Linear(hidden, dim)
        self.split_sizes = (hidden, hidden - conv_channels, conv_channels)
        self.layer_scale = optional_scale(dim, layer_scale_init_value)
        self.drop_path = optional_drop_path(drop_path)

    def gated(self, x: torch.Tensor) -> torch.Tensor:
        """``act(g) * cat(i, dwconv(c))``, the input of ``fc2``."""
        gate, kept, conv = torch.split(self.fc1(x), self.split_sizes, dim=-1)
        conv = nhwc_view(self.conv(nchw_view(conv)))
        return apply_activation(self.act, gate) * torch.cat(
            (kept, conv), dim=-1
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.gated(self.norm(x))
        if not self.training and isinstance(self.layer_scale, nn.Identity):
            return linear_add_to(x, hidden, self.fc2.weight, self.fc2.bias)
        y = self.drop_path(self.fc2(hidden))
        return add_scaled(x, y, self.layer_scale)

    def switch_to_deploy(self) -> None:
        weight, bias = take_affine(self.norm)
        if weight is not None:
            self.fc1 = fold_affine_into_linear(self.fc1, weight, bias)
        if isinstance(self.layer_scale, Scale):
            scale_linear_output(self.fc2, self.layer_scale.scale.detach())
            self.layer_scale = nn.Identity()
