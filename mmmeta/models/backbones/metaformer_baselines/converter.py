"""Checkpoint layouts of the MetaFormer baselines: the sail-sg release and
timm's ``metaformer.py`` (also PoolFormer v1's timm layout).

The renaming follows the mapping timm documents in
``timm/models/metaformer.py::checkpoint_filter_fn`` (Apache-2.0).
"""
import re

from ...utils.layouts import CheckpointLayout, register_layout
from ..poolformer.converter import SAIL_POINTWISE, rename_sail_classifier


def rename_sail_metaformer(key: str) -> str:
    m = re.match(r'downsample_layers\.(\d+)\.(.*)$', key)
    if m:
        index, rest = int(m.group(1)), m.group(2)
        rest = re.sub(r'^(pre|post)_norm\.', 'norm.', rest)
        if index == 0:
            return f'stem.{rest}'
        return f'stages.{index}.downsample.{rest}'
    m = re.match(r'stages\.(\d+)\.(\d+)\.(.*)$', key)
    if m:
        return f'stages.{m.group(1)}.blocks.{m.group(2)}.{m.group(3)}'
    return rename_sail_classifier(key)


register_layout(CheckpointLayout(
    'sail-metaformer',
    'sail-sg metaformer (downsample_layers.*, stages.i.j.*)',
    key_prefix='downsample_layers.', rename=rename_sail_metaformer,
    pointwise_keys=SAIL_POINTWISE))
# timm's names are mmmeta's; its NCHW stages keep 1x1-conv weights
register_layout(CheckpointLayout(
    'timm', 'timm/mmmeta (stem.*, stages.i.blocks.j.*)',
    matches=lambda keys: any(k.startswith('stem.conv.') for k in keys) and
    any(re.match(r'stages\.\d+\.blocks\.\d+\.', k) for k in keys),
    pointwise_keys=SAIL_POINTWISE))
