"""The official TransNeXt checkpoint layout (DaiShiResearch/TransNeXt;
classification and det/seg, CUDA and native alike). Stage i of the official
code is ``stages.{i-1}``."""

import re

from ...utils.layouts import CheckpointLayout, register_layout

_RULES = (
    (r'patch_embed1\.proj\.(.+)$', 'stem.conv.{0}'),
    (r'patch_embed1\.norm\.(.+)$', 'stem.norm.{0}'),
    (r'patch_embed([234])\.proj\.(.+)$', 'stages.{s0}.downsample.conv.{1}'),
    (
        r'patch_embed([234])\.norm\.(.+)$',
        'stages.{s0}.downsample.post_norm.{1}',
    ),
    (
        r'block(\d)\.(\d+)\.attn\.(.+)$',
        'stages.{s0}.blocks.{1}.token_mixer.{2}',
    ),
    (
        r'block(\d)\.(\d+)\.mlp\.dwconv\.dwconv\.(.+)$',
        'stages.{s0}.blocks.{1}.mlp.dwconv.{2}',
    ),
    (r'block(\d)\.(\d+)\.(.+)$', 'stages.{s0}.blocks.{1}.{2}'),
    (r'norm(\d)\.(.+)$', 'stages.{s0}.norm.{1}'),
    (r'head\.(.+)$', 'head.fc.{0}'),
)


def rename_transnext(key: str) -> str:
    for pattern, target in _RULES:
        m = re.match(pattern, key)
        if m:
            groups = m.groups()
            stage = int(groups[0]) - 1 if groups[0].isdigit() else None
            return target.format(*groups, s0=stage)
    return key


register_layout(
    CheckpointLayout(
        'transnext-official',
        'the official TransNeXt files (patch_embed{i}.*, block{i}.j.*, '
        'norm{i}.*; ImageNet, Mask R-CNN, UperNet, DINO, Mask2Former)',
        requires=(r'patch_embed1\.', r'block1\.\d+\.'),
        covers=r'(patch_embed[1-4]|block[1-4]\.\d+|norm[1-4]|head)(\.|$)',
        rename=rename_transnext,
        # non-persistent tables of the official code, if a file has them
        drop_keys=r'(relative_pos_index|relative_coords_table|'
        r'seq_length_scale|padding_mask)',
    )
)
