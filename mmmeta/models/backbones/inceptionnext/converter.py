"""The InceptionNeXt checkpoint layout: the sail-sg/inceptionnext release
and timm's ``inception_next_*`` files (``.pth`` or ``.safetensors``) use
the same names: ``stem.{0,1}``, ``stages.i.downsample.{0,1}``,
``stages.i.blocks.j.{token_mixer,norm,mlp,gamma}``, ``head.*``."""

import re

from ...utils.layouts import CheckpointLayout, register_layout

_RULES = (
    (r'^stem\.0\.', 'stem.conv.'),
    (r'^stem\.1\.', 'stem.norm.'),
    (r'^(stages\.\d+\.downsample)\.0\.', r'\1.norm.'),
    (r'^(stages\.\d+\.downsample)\.1\.', r'\1.conv.'),
    (r'^(stages\.\d+\.blocks\.\d+)\.gamma$', r'\1.layer_scale.scale'),
    (r'^head\.(fc1|norm|fc2)\.', r'head.fc.\1.'),
)


def rename_inceptionnext(key: str) -> str:
    for pattern, target in _RULES:
        key = re.sub(pattern, target, key)
    return key


register_layout(
    CheckpointLayout(
        'inceptionnext',
        'sail-sg/inceptionnext and timm inception_next (stem.0, '
        'stages.i.blocks.j.token_mixer.dwconv_hw)',
        requires=(
            r'stem\.0\.',
            r'stages\.\d+\.blocks\.\d+\.token_mixer\.dwconv_hw\.',
        ),
        covers=r'(stem\.[01]|stages\.\d+\.(downsample\.[01]|blocks\.\d+\.'
        r'(token_mixer\.dwconv_(hw|w|h)|norm|mlp\.fc[12]|gamma))|head)'
        r'(\.|$)',
        rename=rename_inceptionnext,
        pointwise_keys=r'\.mlp\.fc[12]\.weight$',
    )
)
