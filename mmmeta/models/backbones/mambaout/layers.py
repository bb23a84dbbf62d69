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
    fold_affine_into_linear,
    linear_add_to,
    nchw_view,
    nhwc_view,
    scale_linear_output,
    take_affine,
)
from ...layers.lean import (
    activate,
    activate_backward,
    activation_spec,
    depthwise,
    depthwise_backward,
    lean_function,
    lean_residual,
    project,
    project_backward,
    scaled_linear,
    scaled_linear_backward,
)
from ...layers.residual import DropPath, add_scaled

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


def _gate_parts(constants, hidden, tensors):
    """``(gate, conv_in, act(gate), value)`` of fc1's output ``hidden``
    (split into ``gate, kept, conv_in``): ``value = cat(kept,
    dwconv(conv_in))``."""
    act, split_sizes, padding = constants
    _, _, act_scale, act_bias, conv_weight, conv_bias, _, _ = tensors
    gate, kept, conv_in = torch.split(hidden, split_sizes, dim=-1)
    convolved = depthwise(conv_in, conv_weight, conv_bias, padding)
    value = torch.cat((kept, convolved), dim=-1)
    return gate, conv_in, activate(act, gate, act_scale, act_bias), value


def _gated_forward(constants, n, scale, tensors):
    fc1_weight, fc1_bias, *_, fc2_weight, fc2_bias = tensors
    hidden = project(n, fc1_weight, fc1_bias)
    gate, _, activated, value = _gate_parts(constants, hidden, tensors)
    # an identity gate is a view of the saved hidden: no in-place product
    gated = activated * value if activated is gate else activated.mul_(value)
    return scaled_linear(gated, fc2_weight, fc2_bias, scale), (hidden,)


def _gated_backward(constants, n, saved, grad_y, scale, tensors):
    act, split_sizes, padding = constants
    (
        fc1_weight,
        fc1_bias,
        act_scale,
        _,
        conv_weight,
        conv_bias,
        fc2_weight,
        fc2_bias,
    ) = tensors
    (hidden,) = saved
    gate, conv_in, activated, value = _gate_parts(constants, hidden, tensors)
    grad_gated, grad_fc2_weight, grad_fc2_bias, grad_scale = (
        scaled_linear_backward(
            grad_y, activated * value, fc2_weight, fc2_bias, scale
        )
    )
    grad_gate, grad_act_scale, grad_act_bias = activate_backward(
        act, grad_gated * value, gate, act_scale
    )
    del value
    grad_value = grad_gated.mul_(activated)
    del activated
    kept = split_sizes[1]
    grad_conv_in, grad_conv_weight, grad_conv_bias = depthwise_backward(
        grad_value[..., kept:].contiguous(),
        conv_in,
        conv_weight,
        conv_bias,
        padding,
    )
    grad_hidden = torch.cat(
        (grad_gate, grad_value[..., :kept], grad_conv_in), dim=-1
    )
    del grad_gate, grad_value, grad_conv_in
    grad_n, grad_fc1_weight, grad_fc1_bias = project_backward(
        grad_hidden, n, fc1_weight, fc1_bias
    )
    return (
        grad_n,
        grad_scale,
        (
            grad_fc1_weight,
            grad_fc1_bias,
            grad_act_scale,
            grad_act_bias,
            grad_conv_weight,
            grad_conv_bias,
            grad_fc2_weight,
            grad_fc2_bias,
        ),
    )


#: The lean branch of :class:`GatedCNNBlock`: keeps fc1's output only (the
#: norm, the depthwise convolution, the gate's activation and the product
#: are redone in backward).
GATED_BRANCH = lean_function('GatedCNNBranch', _gated_forward, _gated_backward)


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

    Training: with ``lean`` (the default) the block runs as one function
    that keeps its input and fc1's output for backward
    (``mmmeta.models.layers.lean``); ``lean = False`` selects autograd.
    """

    lean = True

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
        self.conv = nn.Conv2d(
            conv_channels,
            conv_channels,
            kernel_size,
            padding=kernel_size // 2,
            groups=conv_channels,
        )
        self.fc2 = nn.Linear(hidden, dim)
        self.split_sizes = (hidden, hidden - conv_channels, conv_channels)
        self.layer_scale = (
            nn.Identity()
            if layer_scale_init_value is None
            else Scale(dim, layer_scale_init_value)
        )
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()

    def gated(self, x: torch.Tensor) -> torch.Tensor:
        """``act(g) * cat(i, dwconv(c))``, the input of ``fc2``."""
        gate, kept, conv = torch.split(self.fc1(x), self.split_sizes, dim=-1)
        conv = nhwc_view(self.conv(nchw_view(conv)))
        return apply_activation(self.act, gate) * torch.cat(
            (kept, conv), dim=-1
        )

    def lean_spec(self):
        """The lean training branch, None for an activation it cannot
        redo."""
        act = activation_spec(self.act)
        if act is None:
            return None
        kind, (act_scale, act_bias) = act
        return (
            GATED_BRANCH,
            (kind, self.split_sizes, self.conv.padding),
            (
                self.fc1.weight,
                self.fc1.bias,
                act_scale,
                act_bias,
                self.conv.weight,
                self.conv.bias,
                self.fc2.weight,
                self.fc2.bias,
            ),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.lean and torch.is_grad_enabled():
            out = lean_residual(
                x, self.norm, self, self.layer_scale, None, self.drop_path
            )
            if out is not None:
                return out
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
