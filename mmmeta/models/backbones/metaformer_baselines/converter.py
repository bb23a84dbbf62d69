"""The sail-sg checkpoint layout of the MetaFormer baselines (timm's,
which PoolFormer v1 shares, is registered in ``models/utils/layouts.py``).

The renaming follows the mapping timm documents in
``timm/models/metaformer.py::checkpoint_filter_fn`` (Apache-2.0).
"""

import re

from ...utils.layouts import (
    SAIL_POINTWISE,
    CheckpointLayout,
    register_layout,
    rename_sail_classifier,
)

#: Every key of these files. A block holds exactly these parts in the
#: official code; blocks of other families under the same stages.i.j
#: (MambaOut's fc1/conv/fc2, ConvNeXt's dwconv/pwconv1) are not taken for
#: them.
_KEYS = (
    r'(downsample_layers\.\d+\.(pre_norm|post_norm|conv)|stages\.\d+\.'
    r'\d+\.(norm1|norm2|token_mixer|mlp|layer_scale\d|res_scale\d)|'
    r'norm|head)(\.|$)'
)


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


register_layout(
    CheckpointLayout(
        'sail-metaformer',
        'sail-sg metaformer (downsample_layers.*, stages.i.j.*)',
        requires=(r'downsample_layers\.\d+\.', r'stages\.\d+\.\d+\.'),
        covers=_KEYS,
        rename=rename_sail_metaformer,
        pointwise_keys=SAIL_POINTWISE,
    )
)
