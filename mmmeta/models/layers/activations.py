"""Activations of the MetaFormer families."""
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

    def __init__(self, scale_value: float = 1.0, bias_value: float = 0.0,
                 scale_learnable: bool = True, bias_learnable: bool = True):
        super().__init__()
        self.scale = nn.Parameter(torch.full((1, ), float(scale_value)),
                                  requires_grad=scale_learnable)
        self.bias = nn.Parameter(torch.full((1, ), float(bias_value)),
                                 requires_grad=bias_learnable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.bias, self.scale, F.relu(x).square())


@MODELS.register_module()
class SquaredReLU(nn.Module):
    """``relu(x) ** 2`` (Primer), used by the MetaFormer MLP classifier
    head."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x).square()


MODELS.register_module('GELU', module=nn.GELU)
MODELS.register_module('ReLU', module=nn.ReLU)
MODELS.register_module('Hardswish', module=nn.Hardswish)


def gelu(x: torch.Tensor, approximate: str = 'none') -> torch.Tensor:
    """GELU; at inference (no autograd) in place, saving an allocation the
    size of ``x``, which must then be a temporary."""
    if torch.is_grad_enabled():
        return F.gelu(x, approximate=approximate)
    return torch.ops.aten.gelu_(x, approximate=approximate)


def _in_place_allowed(x: torch.Tensor) -> bool:
    return not (torch.is_grad_enabled() or torch.compiler.is_compiling())


def apply_activation(act: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``act(x)``; at inference GELU, StarReLU and squared ReLU run in
    place (``x`` must be a temporary), two passes over ``x`` at most
    instead of three allocations."""
    if isinstance(act, nn.GELU):
        return gelu(x, act.approximate)
    if isinstance(act, (StarReLU, SquaredReLU)) and _in_place_allowed(x):
        x = torch.relu_(x)
        if isinstance(act, SquaredReLU):
            return x.mul_(x)
        # b + s * x * x, written into x (an exact alias is allowed); on a
        # CPU s is read as a number, elsewhere it stays a tensor (reading
        # it would wait for the device)
        if x.is_cpu:
            return torch.addcmul(act.bias, x, x, value=act.scale.item(),
                                 out=x)
        return torch.addcmul(act.bias, x * act.scale, x, out=x)
    return act(x)
