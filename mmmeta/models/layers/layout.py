"""Layout helpers.

Inside a MetaFormer stage, tensors are channels-last ``(B, H, W, C)``: the
1x1 projections are then plain matrix products over ``B*H*W`` rows. The two
views below switch between that layout and NCHW without copying.
"""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn


def nchw_view(x: torch.Tensor) -> torch.Tensor:
    """View a contiguous ``(B, H, W, C)`` tensor as NCHW without copying.

    The result has ``torch.channels_last`` strides, which convolutions and
    pooling consume directly.
    """
    return x.permute(0, 3, 1, 2)


def nhwc_view(x: torch.Tensor) -> torch.Tensor:
    """View an NCHW tensor as ``(B, H, W, C)``; free if it is channels-last."""
    return x.permute(0, 2, 3, 1)


def to_pair(
    value: Union[int, Sequence[int], None],
) -> Optional[Tuple[int, int]]:
    """``7`` -> ``(7, 7)``; a pair stays a pair of ints; None stays None."""
    if value is None:
        return None
    if isinstance(value, int):
        return value, value
    height, width = value
    return int(height), int(width)


def pointwise(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution of an NCHW map as a matrix product over its
    channels-last view (faster than the convolution kernels on CPU)."""
    y = F.linear(nhwc_view(x), conv.weight.flatten(1), conv.bias)
    return nchw_view(y)
