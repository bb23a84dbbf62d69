"""The channel MLP of the MetaFormer block, with deploy folding."""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from ...registry import MODELS, build_module
from .activations import (
    SquaredReLU,
    StarReLU,
    apply_activation,
    compiling_for_cpu_inference,
)
from .norms import take_affine
from .reparam import Reparameterizable


def fold_affine_into_linear(
    linear: nn.Linear, weight: torch.Tensor, bias: Optional[torch.Tensor]
) -> nn.Linear:
    """The linear layer equal to ``linear(x * weight + bias)``.

    Returns a new ``nn.Linear`` when a bias has to be added, else ``linear``
    itself, updated in place.
    """
    with torch.no_grad():
        new_bias = None
        if bias is not None:
            new_bias = linear.weight @ bias
            if linear.bias is not None:
                new_bias += linear.bias
        linear.weight.mul_(weight)
        if new_bias is None:
            return linear
        if linear.bias is None:
            folded = nn.Linear(
                linear.in_features, linear.out_features, bias=True
            ).to(linear.weight)
            folded.weight.copy_(linear.weight)
            folded.bias.copy_(new_bias)
            return folded
        linear.bias.copy_(new_bias)
        return linear


def scale_linear_output(linear: nn.Linear, scale: torch.Tensor) -> None:
    """Multiply the outputs of ``linear`` by ``scale`` (per channel)."""
    with torch.no_grad():
        linear.weight.mul_(scale[:, None])
        if linear.bias is not None:
            linear.bias.mul_(scale)


def linear_add_to(
    skip: torch.Tensor,
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor],
    owned: bool = False,
) -> torch.Tensor:
    """``skip + linear(hidden)`` on channels-last maps, the addition fused
    into the matrix product (no autograd; ``weight`` is ``(out, in)``).
    With ``owned``, the product accumulates into ``skip`` itself (no copy
    of it)."""
    rows = skip.reshape(-1, skip.shape[-1])
    hidden = hidden.reshape(-1, hidden.shape[-1])
    # (a jit trace, e.g. a FLOP counter, and autocast, with mixed dtypes,
    # see the out-of-place op)
    if (
        owned
        and skip.is_contiguous()
        and not torch.jit.is_tracing()
        and skip.dtype == hidden.dtype == weight.dtype
    ):
        out = rows.addmm_(hidden, weight.t())
    else:
        out = torch.addmm(rows, hidden, weight.t())
    if bias is not None:
        out += bias
    return out.view(skip.shape)


class AddsThroughOutputProjection:
    """``add_to`` for a mixer that is ``fc2(hidden(x))``: at inference the
    residual addition joins ``fc2``'s matrix product (``fc2`` a Linear or a
    1x1 convolution)."""

    def add_to(
        self, skip: torch.Tensor, x: torch.Tensor, owned: bool = False
    ) -> torch.Tensor:
        if torch.is_grad_enabled() or self.training:
            return skip + self(x)
        weight = self.fc2.weight.flatten(1)
        return linear_add_to(
            skip, self.hidden(x), weight, self.fc2.bias, owned
        )


class ProjectionEnds(Reparameterizable):
    """A part whose first operation is a linear ``input_proj`` and last a
    linear ``output_proj`` (attribute names, given as the subclass's
    ``ends=(input_proj, output_proj)``): deploy folds the pre-norm's affine
    into the first and the layer scale behind into the last."""

    input_proj = ''
    output_proj = ''

    def __init_subclass__(cls, ends=None, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if ends is not None:
            cls.input_proj, cls.output_proj = ends

    def absorb_preceding_norm(self, norm: nn.Module) -> Optional[nn.Module]:
        weight, bias = take_affine(norm)
        if weight is not None:
            setattr(
                self,
                self.input_proj,
                fold_affine_into_linear(
                    getattr(self, self.input_proj), weight, bias
                ),
            )
        return norm

    def absorb_output_scale(self, scale: torch.Tensor) -> bool:
        scale_linear_output(getattr(self, self.output_proj), scale)
        return True


@MODELS.register_module()
class Mlp(AddsThroughOutputProjection, ProjectionEnds, ends=('fc1', 'fc2')):
    """Channel MLP: ``fc1 -> act -> drop -> fc2 -> drop``.

    Deploy: the affine transform of the norm in front folds into ``fc1``,
    a StarReLU's scale and bias and the layer scale behind into ``fc2``
    (the activation becomes ``relu(x) ** 2``), and the residual addition
    into ``fc2``'s matrix product.

    Args:
        dim (int): Input and output channels.
        mlp_ratio (float): Hidden channels as a multiple of ``dim``.
            Defaults to 4.
        act_cfg (dict): Activation. Defaults to ``dict(type='StarReLU')``.
        bias (bool): Whether the two projections have biases.
            Defaults to False.
        drop (float): Dropout rate, after the activation and after ``fc2``.
            Defaults to 0.
    """

    def __init__(
        self,
        dim: int,
        mlp_ratio: float = 4,
        act_cfg: Optional[dict] = None,
        bias: bool = False,
        drop: float = 0.0,
    ):
        super().__init__()
        self.fc1 = nn.Linear(dim, int(mlp_ratio * dim), bias=bias)
        self.act = build_module(act_cfg or dict(type='StarReLU'))
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(self.fc1.out_features, dim, bias=bias)
        self.drop2 = nn.Dropout(drop)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        if self.fc1.bias is not None and compiling_for_cpu_inference(x):
            # the bias joins the activation's fused pass instead of being
            # copied into the product's output first (one pass less over
            # the widest map)
            x = F.linear(x, self.fc1.weight) + self.fc1.bias
        else:
            x = self.fc1(x)
        return self.drop1(apply_activation(self.act, x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(self.fc2(self.hidden(x)))

    def switch_to_deploy(self) -> None:
        super().switch_to_deploy()
        if isinstance(self.act, StarReLU):
            # fc2(s * relu(x)^2 + b) == fc2'(relu(x)^2)
            channels = self.fc2.in_features
            self.fc2 = fold_affine_into_linear(
                self.fc2,
                self.act.scale.detach().expand(channels),
                self.act.bias.detach().expand(channels),
            )
            self.act = SquaredReLU()
