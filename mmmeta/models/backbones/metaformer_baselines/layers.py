"""Token mixers of the MetaFormer baselines: random mixing (RandFormer),
separable convolution (ConvFormer, CAFormer) and global attention
(CAFormer). Each maps a channels-last ``(B, H, W, C)`` map to one of the
same shape."""

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from ....registry import MODELS, build_module
from ...layers import (
    ProjectionEnds,
    apply_activation,
    depthwise_conv,
    nchw_view,
    nhwc_view,
)


@MODELS.register_module()
class RandomMixing(nn.Module):
    """RandFormer's mixer: a frozen random row-stochastic token matrix.

    The official model draws ``softmax(rand(N, N))`` for the token grid of a
    224x224 input (N = 196 at stride 16, 49 at stride 32) and cannot run at
    any other size. Here the matrix is kept exactly as trained and, for
    another grid, resampled: ``M[m, n]`` is treated as a function of the
    output position m and the input position n on the trained square grid,
    bilinearly resized in both to the actual ``h x w`` grid, and each row
    renormalised to sum to 1. On the trained grid the matrix is used as is,
    so 224x224 inputs give exactly the official model.

    Args:
        dim (int): Channels (unused).
        num_tokens (int): Tokens of the trained (square) grid. Defaults to
            196.
    """

    def __init__(self, dim: int = 0, num_tokens: int = 196):
        super().__init__()
        side = math.isqrt(num_tokens)
        if side * side != num_tokens:
            raise ValueError(
                f'num_tokens must be a square number, got {num_tokens}'
            )
        self.grid_size = side
        self.random_matrix = nn.Parameter(
            torch.softmax(torch.rand(num_tokens, num_tokens), dim=-1),
            requires_grad=False,
        )

    def resample(self, height, width) -> torch.Tensor:
        """The trained matrix resampled to an ``h x w`` grid (also with
        symbolic sizes, for export)."""
        side, n_out = self.grid_size, height * width

        def resize_last_grid(m: torch.Tensor) -> torch.Tensor:
            # (rows, side*side) -> (rows, h*w), bilinear over the grid.
            grid = m.reshape(-1, 1, side, side)
            grid = F.interpolate(
                grid,
                size=(height, width),
                mode='bilinear',
                align_corners=False,
            )
            return grid.reshape(m.shape[0], n_out)

        matrix = resize_last_grid(self.random_matrix)  # input positions
        matrix = resize_last_grid(matrix.t()).t()  # then output positions
        return matrix / matrix.sum(dim=-1, keepdim=True)

    def mixing_matrix(self, height: int, width: int) -> torch.Tensor:
        """The ``(h*w, h*w)`` mixing matrix for an ``h x w`` token grid."""
        if (height, width) == (self.grid_size, self.grid_size):
            return self.random_matrix
        return self.resample(height, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        if torch.compiler.is_exporting():
            matrix = self.resample(h, w)
        else:
            matrix = self.mixing_matrix(h, w)
        matrix = matrix.to(x.dtype)
        return torch.matmul(matrix, x.reshape(b, h * w, c)).view(b, h, w, c)

    def extra_repr(self) -> str:
        return f'trained_grid={self.grid_size}x{self.grid_size}'


@MODELS.register_module()
class SepConv(ProjectionEnds, ends=('pwconv1', 'pwconv2')):
    """ConvFormer's mixer: inverted separable convolution (MobileNetV2).

    ``pwconv1 -> act1 -> depthwise kxk -> act2 -> pwconv2``.

    Args:
        dim (int): Channels.
        expansion_ratio (float): Hidden channels / dim. Defaults to 2.
        act1_cfg (dict): First activation. Defaults to StarReLU.
        act2_cfg (dict, optional): Second activation. Defaults to None
            (identity).
        bias (bool): Biases in the three convolutions. Defaults to False.
        kernel_size (int): Depthwise kernel. Defaults to 7.
    """

    def __init__(
        self,
        dim: int,
        expansion_ratio: float = 2,
        act1_cfg: Optional[dict] = None,
        act2_cfg: Optional[dict] = None,
        bias: bool = False,
        kernel_size: int = 7,
    ):
        super().__init__()
        hidden = int(expansion_ratio * dim)
        self.pwconv1 = nn.Linear(dim, hidden, bias=bias)
        self.act1 = build_module(act1_cfg or dict(type='StarReLU'))
        self.dwconv = depthwise_conv(hidden, kernel_size, bias=bias)
        self.act2 = build_module(act2_cfg) or nn.Identity()
        self.pwconv2 = nn.Linear(hidden, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = apply_activation(self.act1, self.pwconv1(x))
        x = nhwc_view(self.dwconv(nchw_view(x)))
        return self.pwconv2(apply_activation(self.act2, x))


@MODELS.register_module()
class Attention(ProjectionEnds, ends=('qkv', 'proj')):
    """Global multi-head self-attention over all ``H*W`` tokens (CAFormer).

    Computed with ``F.scaled_dot_product_attention``, which picks a fused
    kernel where one exists.

    Args:
        dim (int): Channels.
        num_heads (int, optional): Heads. Defaults to ``dim // head_dim``
            (at least 1).
        head_dim (int): Channels per head. Defaults to 32.
        qkv_bias (bool): Bias of the qkv projection. Defaults to False.
        proj_bias (bool): Bias of the output projection. Defaults to False.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        proj_drop (float): Dropout after the projection. Defaults to 0.
    """

    def __init__(
        self,
        dim: int,
        num_heads: Optional[int] = None,
        head_dim: int = 32,
        qkv_bias: bool = False,
        proj_bias: bool = False,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ):
        super().__init__()
        self.head_dim = head_dim
        self.num_heads = num_heads or max(dim // head_dim, 1)
        self.attention_dim = self.num_heads * head_dim
        self.attn_drop = attn_drop
        self.qkv = nn.Linear(dim, 3 * self.attention_dim, bias=qkv_bias)
        self.proj = nn.Linear(self.attention_dim, dim, bias=proj_bias)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(b, h * w, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.0
        )
        out = out.transpose(1, 2).reshape(b, h, w, self.attention_dim)
        return self.proj_drop(self.proj(out))

    def extra_repr(self) -> str:
        return f'num_heads={self.num_heads}, head_dim={self.head_dim}'
