"""Activations of the MetaFormer families."""

import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ...registry import MODELS


@MODELS.register_module()
class StarReLU(nn.Module):
    """StarReLU: ``s * relu(x) ** 2 + b`` with learnable scalars s and b.

    Args:
        scale_value (float): Initial s. Defaults to 1.0.
        bias_value (float): Initial b. Defaults to 0.0.
        scale_learnable (bool): Whether s is trained. Defaults to True.
        bias_learnable (bool): Whether b is trained. Defaults to True.
    """

    def __init__(
        self,
        scale_value: float = 1.0,
        bias_value: float = 0.0,
        scale_learnable: bool = True,
        bias_learnable: bool = True,
    ):
        super().__init__()
        self.scale = nn.Parameter(
            torch.full((1,), float(scale_value)), requires_grad=scale_learnable
        )
        self.bias = nn.Parameter(
            torch.full((1,), float(bias_value)), requires_grad=bias_learnable
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.bias, self.scale, F.relu(x).square())


@MODELS.register_module()
class SquaredReLU(nn.Module):
    """``relu(x) ** 2`` (Primer), used by the MetaFormer MLP classifier
    head."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x).square()


MODELS.register_module('ReLU', module=nn.ReLU)
MODELS.register_module('SiLU', module=nn.SiLU)

# erf(z) ~ z * P(z^2) / Q(z^2) for |z| <= 4 (further out erf rounds to +-1
# in float32), coefficients lowest order first, fitted for mmmeta by
# dev/fit_erf.py. In float32 erf is within 4.3e-7 and GELU within
# 3.3e-7 * |x| of float64 (ATen's float32 GELU: 2.7e-7 * |x|).
ERF_NUMERATOR = (
    1.1283790281536714,
    0.1934456210074086,
    0.05311964577527152,
    0.0038900067977867877,
    0.0002866070974659278,
    2.010738425096865e-06,
)
ERF_DENOMINATOR = (
    1.0,
    0.5047684229807375,
    0.11533834946479832,
    0.015215653468852609,
    0.0011909206717109508,
    3.7778844545217956e-05,
)


def _horner(coefficients: Sequence[float], x: torch.Tensor) -> torch.Tensor:
    out = coefficients[-1]
    for coefficient in coefficients[-2::-1]:
        out = out * x + coefficient
    return out


def rational_erf(
    z: torch.Tensor,
    numerator: Sequence[float] = ERF_NUMERATOR,
    denominator: Sequence[float] = ERF_DENOMINATOR,
    limit: float = 4.0,
) -> torch.Tensor:
    """``erf(z)`` as a rational function: multiplies, adds and one
    division, which a compiler vectorises and fuses with its neighbours."""
    z = z.clamp(-limit, limit)
    s = z * z
    return z * _horner(numerator, s) / _horner(denominator, s)


def rational_gelu(x: torch.Tensor, *erf_args) -> torch.Tensor:
    """Exact-form GELU with :func:`rational_erf` (``erf_args`` are passed
    on to it)."""
    return x * (0.5 + 0.5 * rational_erf(x * math.sqrt(0.5), *erf_args))


def compiling_for_cpu_inference(x: torch.Tensor) -> bool:
    """Whether ``x`` is traced by ``torch.compile`` for inference on a CPU
    (not for an export)."""
    return (
        x.is_cpu
        and not torch.is_grad_enabled()
        and torch.compiler.is_compiling()
        and not torch.compiler.is_exporting()
    )


def gelu(
    x: torch.Tensor, approximate: str = 'none', inplace: bool = False
) -> torch.Tensor:
    """GELU, ``x * (1 + erf(x / sqrt(2))) / 2`` (or its tanh form).

    Compiled for inference on a CPU, erf is :func:`rational_erf`: inductor
    fuses it into one vectorised pass with the neighbouring ops, where its
    own erf kernel is about 1.6x slower (PoolFormer-S12 at 512x512 about
    7 % faster, docs/benchmarks.md). Not when exporting: ONNX keeps its Erf.

    Args:
        x (torch.Tensor): Input.
        approximate (str): ``'none'`` or ``'tanh'``, as ``F.gelu``.
        inplace (bool): At inference (no autograd), write into ``x``,
            which must then be a temporary. Defaults to False.
    """
    if approximate == 'none' and compiling_for_cpu_inference(x):
        return rational_gelu(x)
    if inplace and not torch.is_grad_enabled():
        return torch.ops.aten.gelu_(x, approximate=approximate)
    return F.gelu(x, approximate=approximate)


@MODELS.register_module('GELU')
class GELU(nn.GELU):
    """``nn.GELU`` through :func:`gelu` (its fast compiled CPU path)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gelu(x, self.approximate)


def _in_place_allowed(x: torch.Tensor) -> bool:
    return not (torch.is_grad_enabled() or torch.compiler.is_compiling())


def apply_activation(
    act: nn.Module, x: torch.Tensor, read_scale: Optional[bool] = None
) -> torch.Tensor:
    """``act(x)``; at inference GELU, StarReLU and squared ReLU run in
    place (``x`` must be a temporary), two passes over ``x`` at most
    instead of three allocations.

    ``read_scale``: StarReLU's ``b + s * x * x`` reads ``s`` as a number
    (one pass, no temporary). That is a host read, which waits for a GPU,
    so by default only on a CPU; elsewhere ``s * x`` is a temporary. The
    one device-dependent choice of the inference path (docs/architecture.md;
    a test runs both)."""
    if isinstance(act, nn.GELU):
        return gelu(x, act.approximate, inplace=True)
    if isinstance(act, (StarReLU, SquaredReLU)) and _in_place_allowed(x):
        x = torch.relu_(x)
        if isinstance(act, SquaredReLU):
            return x.mul_(x)
        # b + s * x * x, written into x (an exact alias is allowed)
        if x.is_cpu if read_scale is None else read_scale:
            return torch.addcmul(act.bias, x, x, value=act.scale.item(), out=x)
        return torch.addcmul(act.bias, x * act.scale, x, out=x)
    return act(x)
