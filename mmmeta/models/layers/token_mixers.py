"""The two token mixers of the MetaFormer papers that several families
share: pooling (PoolFormer v1 and v2) and identity (IdentityFormer,
RandFormer).

A token mixer takes ``dim`` as its first argument and maps a channels-last
``(B, H, W, C)`` tensor to one of the same shape.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from ...registry import MODELS
from .layout import nchw_view, nhwc_view
from .lean import channel_sums, group_moments, lean_function
from .norms import GroupNorm1
from .reparam import Reparameterizable


def _average(x: torch.Tensor, size: int) -> torch.Tensor:
    return nhwc_view(
        F.avg_pool2d(
            nchw_view(x),
            size,
            stride=1,
            padding=size // 2,
            count_include_pad=False,
        )
    )


def _scale_gradient(grad_y, y, scale):
    """The layer scale's gradient and the gradient behind it."""
    if scale is None:
        return None, grad_y
    return channel_sums(grad_y, y), grad_y * scale


def _pooling_forward(constants, n, scale, tensors):
    y = _average(n, constants) - n
    return (y if scale is None else y.mul_(scale)), ()


def _pooling_backward(constants, n, saved, grad_y, scale, tensors):
    size = constants
    grad_scale, grad_y = _scale_gradient(grad_y, _average(n, size) - n, scale)
    grad_pool = torch.ops.aten.avg_pool2d_backward(
        nchw_view(grad_y),
        nchw_view(n),
        [size, size],
        [1, 1],
        [size // 2, size // 2],
        False,
        False,
        None,
    )
    return nhwc_view(grad_pool) - grad_y, grad_scale, ()


def _identity_forward(constants, n, scale, tensors):
    return (n if scale is None else n * scale), ()


def _identity_backward(constants, n, saved, grad_y, scale, tensors):
    grad_scale, grad_n = _scale_gradient(grad_y, n, scale)
    return grad_n, grad_scale, ()


def _pooled_group_coefficient(weight, layer, keep, rstd):
    """``keep * layer * weight * rstd``, shaped ``(B, 1, 1, C)``: the
    factor of ``pool(x) - x`` in a pooling branch after a GroupNorm1."""
    scale = weight if layer is None else weight * layer
    factor = rstd if keep is None else rstd * keep
    return factor * scale, scale, factor


def _pooled_group_forward(size, eps, x, params, tensors):
    """The whole branch ``res * x + keep * layer * (pool(n) - n)``, ``n``
    the GroupNorm1 of ``x``: as ``(pool(x) - x) * weight * rstd(x)`` (the
    pooling weights sum to one, so the mean and the bias cancel), one pass
    for the statistics, one for the pooling and one for the sum."""
    weight, _, res, layer, keep = params
    mean, rstd = group_moments(x, eps)
    coefficient, _, _ = _pooled_group_coefficient(weight, layer, keep, rstd)
    pooled = _average(x, size)
    if res is None:
        return torch.lerp(x, pooled, coefficient), (mean, rstd)
    out = pooled.sub_(x).mul_(coefficient).addcmul_(x, res)
    return out, (mean, rstd)


def _pooled_group_backward(size, eps, grad, x, params, tensors, saved):
    """The gradients of :func:`_pooled_group_forward`. With ``d = pool(x) -
    x``, ``a = layer * weight``, ``r = rstd`` and ``G = sum_hw grad * d``
    (per sample and channel): ``grad_a = sum_b keep r G``, and ``grad_x =
    res * grad + pool^T(u) - u - c (x - mean)`` with ``u = grad * keep a r``
    and ``c = keep r^3 sum_c a G / N`` (the gradient through ``r``); the
    norm's bias has none."""
    weight, bias, res, layer, keep = params
    mean, rstd = saved
    coefficient, scale, factor = _pooled_group_coefficient(
        weight, layer, keep, rstd
    )
    pooled_minus_x = _average(x, size).sub_(x)
    sums = pooled_minus_x.mul_(grad).sum((1, 2), keepdim=True)  # G
    grad_scale = (sums * factor).sum(0).flatten()
    through_rstd = (sums * scale).sum(-1, keepdim=True)
    if keep is not None:
        through_rstd = through_rstd * keep
    through_rstd = through_rstd * rstd.pow(3) / -x[0].numel()
    u = torch.mul(grad, coefficient, out=pooled_minus_x)  # reuse the buffer
    grad_x = nhwc_view(
        torch.ops.aten.avg_pool2d_backward(
            nchw_view(u),
            nchw_view(x),
            [size, size],
            [1, 1],
            [size // 2, size // 2],
            False,
            False,
            None,
        )
    )
    skip = coefficient.neg() + (1 if res is None else res)
    grad_x = grad_x.addcmul_(grad, skip).addcmul_(x, through_rstd)
    grad_x = grad_x.sub_(through_rstd * mean)
    param_grads = (
        grad_scale if layer is None else grad_scale * layer,
        None if bias is None else torch.zeros_like(bias),
        None if res is None else channel_sums(grad, x),
        None if layer is None else grad_scale * weight,
    )
    return grad_x, param_grads, ()


#: Lean branches: pooling keeps nothing but the branch input (its backward
#: needs no saved map) and, after a GroupNorm1, runs the whole branch in
#: the deploy form's few passes; identity keeps the input only.
POOLING_BRANCH = lean_function(
    'PoolingBranch',
    _pooling_forward,
    _pooling_backward,
    whole_branch={'group': (_pooled_group_forward, _pooled_group_backward)},
    casts_under_autocast=False,
)
IDENTITY_BRANCH = lean_function(
    'IdentityBranch',
    _identity_forward,
    _identity_backward,
    casts_under_autocast=False,
)


@MODELS.register_module()
class Pooling(Reparameterizable):
    """PoolFormer's mixer: ``avg_pool(x) - x``.

    The average excludes padding (``count_include_pad=False``), so border
    tokens average only their in-image neighbours, as in the official code.

    Deploy: after a :class:`GroupNorm1` pre-norm, ``pool(gn(x)) - gn(x)``
    equals ``(pool(x) - x) * weight / std(x)`` (the averaging weights sum to
    one, so the mean and the norm's bias cancel). The mixer absorbs that
    norm and the layer scale, and the residual ``x + s * (pool(x) - x)``
    becomes one ``torch.lerp``.

    Args:
        dim (int): Channels (unused; kept for a uniform mixer signature).
        pool_size (int): Pooling window. Defaults to 3.
    """

    def __init__(self, dim: int, pool_size: int = 3):
        super().__init__()
        self.pool_size = pool_size
        self.norm_eps: Optional[float] = None
        self.register_buffer('deploy_scale', None)

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        return _average(x, self.pool_size)

    def lean_spec(self):
        """The lean training branch (``mmmeta.models.layers.lean``)."""
        if self.deploy_scale is not None:
            return None
        return POOLING_BRANCH, self.pool_size, ()

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        """``weight / std(x)`` per sample and channel (absorbed norm), in
        ``x``'s dtype; the statistics are taken in float32, as the norm
        itself does under autocast."""
        var = torch.var(x.float(), dim=(1, 2, 3), unbiased=False, keepdim=True)
        scale = self.deploy_scale.float() * torch.rsqrt(var + self.norm_eps)
        return scale.to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy_scale is None:
            return self.pool(x) - x
        return (self.pool(x) - x) * self._scale(x)

    def absorb_preceding_norm(self, norm: nn.Module) -> Optional[nn.Module]:
        if (
            not isinstance(norm, GroupNorm1)
            or norm.weight is None
            or self.deploy_scale is not None
        ):
            return norm
        self.norm_eps = norm.eps
        self.deploy_scale = norm.weight.detach().clone()
        return None

    def absorb_output_scale(self, scale: torch.Tensor) -> bool:
        if self.deploy_scale is None:
            return False
        self.deploy_scale = self.deploy_scale * scale
        return True

    def add_to(
        self, skip: torch.Tensor, x: torch.Tensor, owned: bool = False
    ) -> torch.Tensor:
        if self.deploy_scale is None or x is not skip:
            return skip + self(x)
        return torch.lerp(skip, self.pool(skip), self._scale(skip))

    def extra_repr(self) -> str:
        return f'pool_size={self.pool_size}' + (
            ', norm folded in' if self.deploy_scale is not None else ''
        )


@MODELS.register_module()
class Identity(nn.Module):
    """IdentityFormer's mixer: returns its input.

    Args:
        dim (int): Channels (unused).
    """

    def __init__(self, dim: int = 0):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def lean_spec(self):
        """The lean training branch (``mmmeta.models.layers.lean``)."""
        return IDENTITY_BRANCH, None, ()
