"""The official FFNet checkpoint layout (ysj9909/FFNet: ImageNet files,
Cascade Mask R-CNN and UperNet backbones, and FFNet-seg). In stages 1-3
the official block index 0 is the patch merging; layer scales are stored
as ``(C, 1, 1)``."""

import re

from ...utils.layouts import CheckpointLayout, register_layout

_BLOCK_RULES = (
    (r'^token_mixer\.0\.main\.', 'token_mixer.'),
    (r'^token_mixer\.0\.layer_scale$', 'layer_scale1.scale'),
    (r'^channel_mixer\.main\.', 'mlp.'),
    (r'^channel_mixer\.layer_scale$', 'layer_scale2.scale'),
)


def rename_ffnet(key: str) -> str:
    if key.startswith('patch_embed.'):
        return 'stem.layers.' + key[len('patch_embed.') :]
    if key.startswith('norm.'):  # the classifier's BatchNorm
        return 'head.' + key
    if key.startswith('head.'):
        return 'head.fc.' + key[len('head.') :]
    if key.startswith(('head1.', 'head2.', 'head_dist.')):
        return 'head.' + key  # other classifier parts (dropped)
    m = re.match(r'stages\.(\d+)\.(\d+)\.(.+)$', key)
    if not m:
        return key
    stage, index, rest = int(m.group(1)), int(m.group(2)), m.group(3)
    if stage > 0 and index == 0:  # patch merging
        rest = re.sub(r'^proj\.0\.(conv1?)\.', r'dw.\1.', rest)
        rest = re.sub(r'^proj\.1\.conv\.', 'pw.', rest)
        return f'stages.{stage}.downsample.{rest}'
    block = index - 1 if stage > 0 else index
    for pattern, target in _BLOCK_RULES:
        rest = re.sub(pattern, target, rest)
    return f'stages.{stage}.blocks.{block}.{rest}'


register_layout(
    CheckpointLayout(
        'ffnet-official',
        'the official FFNet files (patch_embed.*, stages.i.j.*; ImageNet, '
        'Cascade Mask R-CNN, UperNet, FFNet-seg)',
        requires=(r'patch_embed\.0\.', r'stages\.\d+\.\d+\.'),
        covers=r'(patch_embed|stages\.\d+\.\d+|norm\d?|head|head1|head2|head_dist)'
        r'(\.|$)',
        rename=rename_ffnet,
        flatten_scales=True,
    )
)
