"""PoolFormer v1's official op sequence, as a baseline.

``reference_forward(model, x)`` runs a mmmeta ``PoolFormer`` with the
operations, layout and order of sail-sg/poolformer ``models/poolformer.py``
on the model's own parameters: NCHW throughout, ``nn.GroupNorm(1, C)``,
``AvgPool2d`` minus input, 1x1 convolutions for the MLP, layer scales
broadcast as ``(C, 1, 1)``. Benchmark and test material (see
``official_ops``), not part of mmmeta.
"""

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from mmmeta.models.layers import GroupNorm1


def _conv1x1(x: torch.Tensor, linear: nn.Linear) -> torch.Tensor:
    return F.conv2d(x, linear.weight[:, :, None, None], linear.bias)


def _channel_scale(scale: nn.Module) -> torch.Tensor:
    return scale.scale.unsqueeze(-1).unsqueeze(-1)


def _block(block, x: torch.Tensor) -> torch.Tensor:
    norm1, norm2 = block.norm1, block.norm2
    y = F.group_norm(x, 1, norm1.weight, norm1.bias, norm1.eps)
    mixer = block.token_mixer
    y = (
        F.avg_pool2d(
            y,
            mixer.pool_size,
            1,
            mixer.pool_size // 2,
            count_include_pad=False,
        )
        - y
    )
    x = x + _channel_scale(block.layer_scale1) * y
    y = F.group_norm(x, 1, norm2.weight, norm2.bias, norm2.eps)
    y = _conv1x1(block.mlp.act(_conv1x1(y, block.mlp.fc1)), block.mlp.fc2)
    return x + _channel_scale(block.layer_scale2) * y


def reference_forward(model, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """Run ``model`` (a mmmeta PoolFormer) with the official op sequence.

    Stochastic depth and dropout are not applied (inference semantics);
    the model returns feature maps (``MetaFormer.forward`` checks).
    """
    x = model.stem.conv(x)
    outs = []
    for i, stage in enumerate(model.stages):
        if i > 0:
            x = stage.downsample.conv(x)
        for block in stage.blocks:
            x = _block(block, x)
        if i in model.out_indices:
            norm = getattr(model, f'norm{i}')
            if isinstance(norm, GroupNorm1):
                outs.append(
                    F.group_norm(x, 1, norm.weight, norm.bias, norm.eps)
                )
            else:
                outs.append(norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
    return tuple(outs)
