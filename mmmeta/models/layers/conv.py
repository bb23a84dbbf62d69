"""Convolutions: the depthwise convolution of the mixers, and the
convolution of every strided part (stems, downsampling, FFNet's conv-BN
units and the convolutions deploy folds them into).

:class:`Conv2d` is :class:`torch.nn.Conv2d` with one guard: a strided
convolution in bfloat16 (a bfloat16 model, or bfloat16 autocast) whose output
is one pixel wide or high runs in float32 and returns bfloat16. oneDNN's AMX
bfloat16 convolution (``brg_conv_fwd``, oneDNN 3.12 in torch 2.13 on CPUs with
``amx_bf16``) returns garbage for such outputs (pytorch/pytorch#169688,
#163347): a map one pixel wide at stride 32 comes from inputs under 64 pixels.
The guard is the same on every device; on other maps it costs a comparison of
the stride, and on one-pixel maps a float32 convolution of that small map.
``tests/test_precision.py`` holds the canary that tells when torch no longer
needs it.
"""

import contextlib
from typing import Optional, Tuple, Union

import torch
from torch import nn

from .layout import to_pair


def depthwise_conv(
    channels: int, kernel_size: Union[int, Tuple[int, int]], bias: bool = True
) -> nn.Conv2d:
    """A stride-1 depthwise convolution that keeps the map's size (odd
    kernel, ``kernel // 2`` padding per side), square or ``(kh, kw)``."""
    kh, kw = to_pair(kernel_size)
    return nn.Conv2d(
        channels,
        channels,
        (kh, kw),
        padding=(kh // 2, kw // 2),
        groups=channels,
        bias=bias,
    )


@torch.compiler.assume_constant_result
def _autocast_available(device: str) -> bool:
    """``torch.amp.is_autocast_available``, a constant when compiled (torch
    2.11's dynamo cannot trace it)."""
    return torch.amp.is_autocast_available(device)


def _computes_in_bfloat16(x: torch.Tensor) -> bool:
    """Whether a convolution of ``x`` runs in bfloat16 here: ``x`` is
    bfloat16, or autocast casts it to bfloat16 on its device."""
    if x.dtype == torch.bfloat16:
        return True
    device = x.device.type
    return (
        x.dtype == torch.float32
        and _autocast_available(device)
        and torch.is_autocast_enabled(device)
        and torch.get_autocast_dtype(device) == torch.bfloat16
    )


class Conv2d(nn.Conv2d):
    """:class:`torch.nn.Conv2d` whose strided bfloat16 outputs one pixel
    wide or high are computed in float32 (see the module's docstring); the
    same parameters, state dict and arguments."""

    def _one_pixel_output(self, x: torch.Tensor) -> bool:
        padding = (0, 0) if self.padding == 'valid' else self.padding
        for size, k, s, p, d in zip(
            x.shape[-2:], self.kernel_size, self.stride, padding, self.dilation
        ):
            if s > 1 and (size + 2 * p - d * (k - 1) - 1) // s == 0:
                return True
        return False

    def _conv_forward(
        self,
        input: torch.Tensor,
        weight: torch.Tensor,
        bias: Optional[torch.Tensor],
    ) -> torch.Tensor:
        if (
            self.stride == (1, 1)
            or not _computes_in_bfloat16(input)
            or not self._one_pixel_output(input)
        ):
            return super()._conv_forward(input, weight, bias)
        device = input.device.type
        with (
            torch.autocast(device, enabled=False)
            if _autocast_available(device)
            else contextlib.nullcontext()
        ):
            out = super()._conv_forward(
                input.float(),
                weight.float(),
                None if bias is None else bias.float(),
            )
        return out.to(torch.bfloat16)
