"""Layer-wise learning-rate decay for mmmeta backbones.

mmdet's and mmseg's ``LearningRateDecayOptimizerConstructor`` only accept
ConvNeXt (and BEiT/MAE) backbones. This constructor implements the same
ConvNeXt-style rule, as FFNet's official recipes use it, on mmmeta's
parameter names (``backbone.stages.{i}.downsample`` / ``.blocks.{j}``).

Layer ids (``N = paramwise_cfg['num_layers']``), counting the downsampling
layer as position 0 of stages 1-3 as the official code does:

* stage 0 -> 1, stage 1 -> 2, stage 2 -> ``3 + position // 3``,
  stage 3 -> ``N``;
* everything else (stem, output norms, neck, heads) -> ``N + 1`` (full
  learning rate, as in the official FFNet constructor).

A parameter of layer ``k`` gets ``lr * decay_rate ** (N + 1 - k)``. 1-D
parameters and biases get no weight decay.
"""

import re
from typing import List

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from ..registry import OPTIM_WRAPPER_CONSTRUCTORS

_STAGE = re.compile(r'backbone\.stages\.(\d+)\.(downsample|blocks\.(\d+))\.')


def layer_id(name: str, num_layers: int) -> int:
    """Layer-decay id of a parameter name (see the module docstring)."""
    m = _STAGE.match(name)
    if not m:
        return num_layers + 1
    stage = int(m.group(1))
    if m.group(3) is None:
        position = 0  # the downsampling layer
    else:
        position = int(m.group(3)) + (1 if stage > 0 else 0)
    return [1, 2, 3 + position // 3, num_layers][min(stage, 3)]


def stage_id(name: str, num_layers: int) -> int:
    """Stage-wise id: stage i -> i + 1, the rest -> ``num_layers + 1``."""
    m = _STAGE.match(name)
    return int(m.group(1)) + 1 if m else num_layers + 1


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Layer-wise (or stage-wise) learning-rate decay for mmmeta backbones.

    ``paramwise_cfg`` keys: ``num_layers`` (int, required), ``decay_rate``
    (float, required), ``decay_type`` (``'layer_wise'`` or
    ``'stage_wise'``; default ``'layer_wise'``).

    Example:
        >>> optim_wrapper = dict(
        ...     type='OptimWrapper',
        ...     constructor='mmmeta.LayerDecayOptimWrapperConstructor',
        ...     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
        ...     paramwise_cfg=dict(num_layers=12, decay_rate=0.8))
    """

    def add_params(
        self, params: List[dict], module: nn.Module, **kwargs
    ) -> None:
        cfg = dict(self.paramwise_cfg)
        missing = [k for k in ('num_layers', 'decay_rate') if k not in cfg]
        if missing:
            raise KeyError(
                f'LayerDecayOptimWrapperConstructor needs '
                f'paramwise_cfg keys {missing}, e.g. '
                f'dict(num_layers=12, decay_rate=0.8)'
            )
        num_layers, rate = cfg['num_layers'], cfg['decay_rate']
        decay_type = cfg.get('decay_type', 'layer_wise')
        if decay_type not in ('layer_wise', 'stage_wise'):
            raise ValueError(
                f"decay_type must be 'layer_wise' or "
                f"'stage_wise', got {decay_type!r}"
            )
        get_id = layer_id if decay_type == 'layer_wise' else stage_id
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            no_decay = param.ndim == 1 or name.endswith('.bias')
            index = get_id(name, num_layers)
            key = (index, no_decay)
            if key not in groups:
                scale = rate ** (num_layers + 1 - index)
                groups[key] = dict(
                    params=[],
                    lr=self.base_lr * scale,
                    lr_scale=scale,
                    weight_decay=0.0 if no_decay else self.base_wd,
                    param_names=[],
                )
            groups[key]['params'].append(param)
            groups[key]['param_names'].append(name)
        print_log(
            f'Layer decay ({decay_type}, rate {rate}, {num_layers} layers): '
            + ', '.join(
                f'layer {i}{" no-decay" if nd else ""}: '
                f'{len(g["params"])} params x{g["lr_scale"]:.3g}'
                for (i, nd), g in sorted(groups.items())
            ),
            logger='current',
        )
        for group in groups.values():
            del group['param_names']
        params.extend(groups.values())
