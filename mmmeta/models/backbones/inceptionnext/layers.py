"""InceptionNeXt's parts: the Inception depthwise mixer and the MetaNeXt
block, on channels-last ``(B, H, W, C)`` maps."""

from typing import Optional

import torch
from torch import nn

from ....registry import MODELS, build_module
from ...layers import (
    Reparameterizable,
    Scale,
    build_norm,
    depthwise_conv,
    fold_affine_into_linear,
    nchw_view,
    nhwc_view,
    switch_to_deploy,
)
from ...layers.conv_bn import bn_scale_shift
from ...layers.residual import add_scaled, optional_drop_path, optional_scale


@MODELS.register_module()
class InceptionDWConv(nn.Module):
    """Inception depthwise convolution: the channels split into an identity
    part and three depthwise branches of ``branch_ratio * dim`` channels
    each, a ``k x k`` square, a ``1 x band`` and a ``band x 1`` kernel.

    Args:
        dim (int): Channels.
        square_kernel_size (int): The square kernel. Defaults to 3.
        band_kernel_size (int): The band kernels' length. Defaults to 11.
        branch_ratio (float): Channels of each branch / ``dim``. Defaults
            to 0.125.
    """

    def __init__(
        self,
        dim: int,
        square_kernel_size: int = 3,
        band_kernel_size: int = 11,
        branch_ratio: float = 0.125,
    ):
        super().__init__()
        branch = int(dim * branch_ratio)
        square, band = square_kernel_size, band_kernel_size

        self.dwconv_hw = depthwise_conv(branch, square)
        self.dwconv_w = depthwise_conv(branch, (1, band))
        self.dwconv_h = depthwise_conv(branch, (band, 1))
        self.split_sizes = (dim - 3 * branch, branch, branch, branch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kept, *parts = torch.split(x, self.split_sizes, dim=-1)
        convs = (self.dwconv_hw, self.dwconv_w, self.dwconv_h)
        mixed = [nhwc_view(c(nchw_view(p))) for c, p in zip(convs, parts)]
        return torch.cat([kept, *mixed], dim=-1)


@MODELS.register_module()
class MetaNeXtBlock(Reparameterizable):
    """The MetaNeXt block of InceptionNeXt (Yu et al., CVPR 2024)::

        x = x + drop_path(layer_scale * mlp(norm(token_mixer(x))))

    One residual branch: the token mixer comes before the norm, and a
    BatchNorm (in the official model) sits between it and the MLP.

    Deploy folds the BatchNorm into the MLP's first projection, the layer
    scale into its last, and adds the residual inside that last product.

    Args:
        dim (int): Channels.
        token_mixer (dict): Token mixer config (the arch table's:
            ``InceptionDWConv``).
        norm_cfg (dict): The norm after the mixer (BatchNorm on the
            channels-last map).
        mlp (dict): Channel MLP config (a GELU ``Mlp`` with biases).
        drop_path (float): Stochastic depth rate. Defaults to 0.
        layer_scale_init_value (float, optional): Layer scale; None for
            none. Defaults to 1e-6.
    """

    def __init__(
        self,
        dim: int,
        token_mixer: dict,
        norm_cfg: dict,
        mlp: dict,
        drop_path: float = 0.0,
        layer_scale_init_value: Optional[float] = 1e-6,
    ):
        super().__init__()
        self.token_mixer = build_module(token_mixer, dim)
        self.norm = build_norm(norm_cfg, dim)
        self.mlp = build_module(mlp, dim)
        self.layer_scale = optional_scale(dim, layer_scale_init_value)
        self.drop_path = optional_drop_path(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = self.norm(self.token_mixer(x))
        if not self.training and isinstance(self.layer_scale, nn.Identity):
            return self.mlp.add_to(x, mixed)
        y = self.drop_path(self.mlp(mixed))
        return add_scaled(x, y, self.layer_scale)

    def switch_to_deploy(self) -> None:
        switch_to_deploy(self.token_mixer)
        switch_to_deploy(self.mlp)
        if isinstance(self.norm, nn.modules.batchnorm._BatchNorm):
            scale, shift = bn_scale_shift(self.norm)
            self.mlp.fc1 = fold_affine_into_linear(
                self.mlp.fc1, scale.detach(), shift.detach()
            )
            self.norm = nn.Identity()
        else:
            self.norm = self.mlp.absorb_preceding_norm(self.norm)
        if isinstance(self.layer_scale, Scale):
            if self.mlp.absorb_output_scale(self.layer_scale.scale.detach()):
                self.layer_scale = nn.Identity()
