"""The MambaOut checkpoint layouts: the yuweihao/MambaOut release
(``downsample_layers.i``, ``stages.i.j``, ``norm``, ``head.fc1``) and
timm's ``mambaout_*`` files (``stem``, ``stages.i.downsample``,
``stages.i.blocks.j``, ``head.norm``, ``head.pre_logits``; ``.pth`` or
``.safetensors``). timm's key names follow its ``checkpoint_filter_fn``.
"""

import re

from ...utils.layouts import CheckpointLayout, StateDict, register_layout

_BLOCK = r'(norm|fc1|conv|fc2|ls\.gamma)'


def rename_official(key: str) -> str:
    if key.startswith('downsample_layers.0.'):
        return 'stem.' + key[len('downsample_layers.0.') :]
    m = re.match(r'downsample_layers\.(\d+)\.(conv|norm)\.(.*)$', key)
    if m:  # the official downsampling normalises after its convolution
        part = 'post_norm' if m.group(2) == 'norm' else 'conv'
        return f'stages.{m.group(1)}.downsample.{part}.{m.group(3)}'
    key = re.sub(r'^stages\.(\d+)\.(\d+)\.', r'stages.\1.blocks.\2.', key)
    if key.startswith('norm.'):  # the classifier's final norm
        return 'head.' + key
    return re.sub(r'^head\.(fc1|norm|fc2)\.', r'head.fc.\1.', key)


_TIMM_HEAD = (
    ('head.pre_logits.fc.', 'head.fc.fc1.'),
    ('head.pre_logits.norm.', 'head.fc.norm.'),
    ('head.fc.', 'head.fc.fc2.'),
)


def rename_timm(key: str) -> str:
    key = re.sub(r'\.ls\.gamma$', '.layer_scale.scale', key)
    for old, new in _TIMM_HEAD:
        if key.startswith(old):
            return new + key[len(old) :]
    return key


class TimmMambaOutLayout(CheckpointLayout):
    """timm names its downsampling's norm ``norm`` whether it comes before
    the convolution (``*_rw``) or after it; its width tells which."""

    def convert(self, state_dict: StateDict) -> StateDict:
        converted = super().convert(state_dict)
        for key in list(converted):
            m = re.match(r'(stages\.\d+\.downsample)\.norm\.(.*)$', key)
            if not m:
                continue
            conv = converted[f'{m.group(1)}.conv.weight']
            if converted[key].shape[0] == conv.shape[0] != conv.shape[1]:
                converted[f'{m.group(1)}.post_norm.{m.group(2)}'] = (
                    converted.pop(key)
                )
        return converted


register_layout(
    CheckpointLayout(
        'mambaout-official',
        'yuweihao/MambaOut (downsample_layers.i.*, stages.i.j.fc1)',
        requires=(
            r'downsample_layers\.0\.conv1\.',
            r'stages\.\d+\.\d+\.fc1\.',
        ),
        covers=r'(downsample_layers\.(0\.(conv1|norm1|conv2|norm2)|\d+\.'
        rf'(conv|norm))|stages\.\d+\.\d+\.{_BLOCK}|norm|head)(\.|$)',
        rename=rename_official,
    )
)
register_layout(
    TimmMambaOutLayout(
        'timm-mambaout',
        'timm mambaout (stem.conv1, stages.i.blocks.j.fc1)',
        requires=(r'stem\.conv1\.', r'stages\.\d+\.blocks\.\d+\.fc1\.'),
        covers=r'(stem\.(conv1|norm1|conv2|norm2)|stages\.\d+\.(downsample\.'
        rf'(conv|norm)|blocks\.\d+\.{_BLOCK})|head)(\.|$)',
        rename=rename_timm,
    )
)
