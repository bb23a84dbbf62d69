"""The sail-sg PoolFormer v1 checkpoint layout.

The release (``patch_embed``, ``network.{0..6}``, ``norm``, ``head``), its
dense detection/segmentation backbones (``norm0/2/4/6``) and mmpretrain's
PoolFormer (the same names under ``backbone.``, stripped before this step).
The mapping follows the one timm documents in
``timm/models/metaformer.py::checkpoint_filter_fn`` (Apache-2.0): names
only, values untouched.
"""

import re

from ...utils.layouts import (
    SAIL_POINTWISE,
    CheckpointLayout,
    register_layout,
    rename_sail_classifier,
)

#: Every key of these files.
_KEYS = (
    r'(patch_embed\.proj|network\.\d+\.(\d+\.(norm1|norm2|token_mixer|'
    r'mlp\.(fc1|fc2)|layer_scale_[12])|proj)|norm\d?|head)(\.|$)'
)


def rename_sail_poolformer(key: str) -> str:
    key = key.replace('patch_embed.proj.', 'stem.conv.')
    key = re.sub(r'layer_scale_(\d)$', r'layer_scale\1.scale', key)
    m = re.match(r'network\.(\d+)\.(\d+)\.(.+)$', key)
    if m and int(m.group(1)) % 2 == 0:  # blocks: network.{0,2,4,6}.j
        stage, block, rest = int(m.group(1)) // 2, m.group(2), m.group(3)
        return f'stages.{stage}.blocks.{block}.{rest}'
    m = re.match(r'network\.(\d+)\.proj\.(.+)$', key)
    if m and int(m.group(1)) % 2 == 1:  # downsampling: network.{1,3,5}
        stage = (int(m.group(1)) + 1) // 2
        return f'stages.{stage}.downsample.conv.{m.group(2)}'
    m = re.match(r'norm([0246])\.(.+)$', key)
    if m:  # dense output norms norm0/2/4/6 -> norm0/1/2/3
        return f'norm{int(m.group(1)) // 2}.{m.group(2)}'
    return rename_sail_classifier(key)


register_layout(
    CheckpointLayout(
        'sail-poolformer',
        'sail-sg poolformer (network.*), its dense backbones '
        '(norm0/2/4/6), mmpretrain (backbone.network.*)',
        requires=(r'patch_embed\.proj\.', r'network\.\d+\.\d+\.'),
        covers=_KEYS,
        rename=rename_sail_poolformer,
        pointwise_keys=SAIL_POINTWISE,
    )
)
