"""Key-layout conversion of MetaFormer checkpoints to mmmeta names.

Supported layouts (detected from the keys):

* ``sail-poolformer``: the sail-sg/poolformer release (``patch_embed``,
  ``network.{0..6}``, ``norm``, ``head``), its dense detection/segmentation
  backbones (``norm0/2/4/6``) and mmpretrain/mmcls PoolFormer checkpoints
  (the same names under ``backbone.``, stripped before this step).
* ``sail-metaformer``: the sail-sg/metaformer baselines release
  (``downsample_layers.i``, ``stages.i.j``, ``norm``, ``head``).
* ``timm``: timm's ``metaformer.py`` (``stem``, ``stages.i.blocks.j``,
  ``head.norm``, ``head.fc``), which is also mmmeta's own layout.

The mapping follows the one timm documents in
``timm/models/metaformer.py::checkpoint_filter_fn`` (Apache-2.0): names only,
values untouched, except that the 1x1-conv weights of the MLPs and of
SepConv's point-wise convolutions (NCHW implementations) are reshaped to the
linear weights mmmeta uses.
"""
import re
from typing import Dict, Optional

import torch

from .checkpoint import CheckpointError

StateDict = Dict[str, torch.Tensor]


def detect_metaformer_layout(state_dict: StateDict) -> str:
    """Name the key layout of a MetaFormer state dict."""
    keys = list(state_dict)
    if any(k.startswith('network.') for k in keys):
        return 'sail-poolformer'
    if any(k.startswith('downsample_layers.') for k in keys):
        return 'sail-metaformer'
    if any(k.startswith('stem.conv.') for k in keys) and any(
            re.match(r'stages\.\d+\.blocks\.\d+\.', k) for k in keys):
        return 'timm'
    raise CheckpointError(
        'unrecognised MetaFormer checkpoint layout (first keys: '
        f'{", ".join(keys[:6])}). Supported: sail-sg poolformer '
        '(network.*), sail-sg metaformer (downsample_layers.*, stages.i.j.*), '
        'mmpretrain (backbone.network.*), timm/mmmeta (stem.*, '
        'stages.i.blocks.j.*).')


def _rename_classifier(key: str) -> str:
    """The sail-sg classifier parts: final ``norm`` and ``head`` become
    timm's ``head.norm`` and ``head.fc``."""
    if key.startswith('norm.'):
        return 'head.' + key
    if key.startswith('head.'):
        return 'head.fc.' + key[len('head.'):]
    return key


def _rename_sail_poolformer(key: str) -> str:
    key = key.replace('patch_embed.proj.', 'stem.conv.')
    key = re.sub(r'layer_scale_(\d)$', r'layer_scale\1.scale', key)
    m = re.match(r'network\.(\d+)\.(\d+)\.(.+)$', key)
    if m and int(m.group(1)) % 2 == 0:  # blocks: network.{0,2,4,6}.j.*
        stage, block, rest = int(m.group(1)) // 2, m.group(2), m.group(3)
        return f'stages.{stage}.blocks.{block}.{rest}'
    m = re.match(r'network\.(\d+)\.proj\.(.+)$', key)
    if m and int(m.group(1)) % 2 == 1:  # downsampling: network.{1,3,5}.proj
        return f'stages.{(int(m.group(1)) + 1) // 2}.downsample.conv.' + \
            m.group(2)
    m = re.match(r'norm([0246])\.(.+)$', key)
    if m:  # dense output norms norm0/2/4/6 -> norm0/1/2/3
        return f'norm{int(m.group(1)) // 2}.{m.group(2)}'
    return _rename_classifier(key)


def _rename_sail_metaformer(key: str) -> str:
    m = re.match(r'downsample_layers\.(\d+)\.(.*)$', key)
    if m:
        index, rest = int(m.group(1)), m.group(2)
        rest = rest.replace('pre_norm.', 'norm.').replace('post_norm.',
                                                          'norm.')
        if index == 0:
            return f'stem.{rest}'
        return f'stages.{index}.downsample.{rest}'
    m = re.match(r'stages\.(\d+)\.(\d+)\.(.*)$', key)
    if m:
        return f'stages.{m.group(1)}.blocks.{m.group(2)}.{m.group(3)}'
    return _rename_classifier(key)


_RENAMERS = {
    'sail-poolformer': _rename_sail_poolformer,
    'sail-metaformer': _rename_sail_metaformer,
    'timm': lambda key: key,
}


_POINTWISE = re.compile(r'\.(mlp\.fc[12]|token_mixer\.pwconv[12])\.weight$')


def convert_metaformer(state_dict: StateDict) -> StateDict:
    """Rename any supported MetaFormer state dict to mmmeta's layout.

    Raises:
        CheckpointError: The layout is not recognised.
    """
    rename = _RENAMERS[detect_metaformer_layout(state_dict)]
    converted = {}
    for key, value in state_dict.items():
        key = rename(key)
        if value.dim() == 4 and value.shape[2:] == (1, 1) and \
                _POINTWISE.search(key):
            value = value.flatten(1)
        converted[key] = value
    return converted


_CLASSIFIER_KEYS = (
    ('head.norm.', 'backbone.norm3.'),  # the final norm: an output norm
    ('head.fc.fc1.', 'neck.fc1.'),  # MlpHead -> MlpPreLogits neck ...
    ('head.fc.norm.', 'neck.norm.'),
    ('head.fc.fc2.', 'head.fc.'),  # ... and LinearClsHead
    ('head.fc.', 'head.fc.'),
)


def to_mmpretrain_classifier(state_dict: StateDict) -> StateDict:
    """Lay out a converted state dict as an mmpretrain ``ImageClassifier``
    (``backbone`` with ``out_indices=(3, )``, optional ``MlpPreLogits``
    neck, ``LinearClsHead``), e.g. for ImageNet evaluation."""
    out = {}
    for key, value in state_dict.items():
        for old, new in _CLASSIFIER_KEYS:
            if key.startswith(old):
                out[new + key[len(old):]] = value
                break
        else:
            out['backbone.' + key] = value
    return out


# ---------------------------------------------------------------- TransNeXt
# Official (DaiShiResearch/TransNeXt, classification and det/seg, CUDA and
# native alike) -> mmmeta. Stage i of the official code is stages.{i-1}.
_TRANSNEXT_RULES = (
    (r'patch_embed1\.proj\.(.+)$', 'stem.conv.{0}'),
    (r'patch_embed1\.norm\.(.+)$', 'stem.norm.{0}'),
    (r'patch_embed([234])\.proj\.(.+)$', 'stages.{s0}.downsample.conv.{1}'),
    (r'patch_embed([234])\.norm\.(.+)$',
     'stages.{s0}.downsample.post_norm.{1}'),
    (r'block(\d)\.(\d+)\.attn\.(.+)$',
     'stages.{s0}.blocks.{1}.token_mixer.{2}'),
    (r'block(\d)\.(\d+)\.mlp\.dwconv\.dwconv\.(.+)$',
     'stages.{s0}.blocks.{1}.mlp.dwconv.{2}'),
    (r'block(\d)\.(\d+)\.(.+)$', 'stages.{s0}.blocks.{1}.{2}'),
    (r'norm(\d)\.(.+)$', 'stages.{s0}.norm.{1}'),
)
#: Non-persistent tables of the official code, if a file has them anyway.
_TRANSNEXT_TABLES = re.compile(
    r'(relative_pos_index|relative_coords_table|seq_length_scale|'
    r'padding_mask)')


def _rename_transnext(key: str) -> str:
    for pattern, target in _TRANSNEXT_RULES:
        m = re.match(pattern, key)
        if m:
            groups = m.groups()
            stage = int(groups[0]) - 1 if groups[0].isdigit() else None
            return target.format(*groups, s0=stage)
    return key  # head.* (dropped by the loader)


def convert_transnext(state_dict: StateDict) -> StateDict:
    """Rename an official TransNeXt state dict to mmmeta's layout; an mmmeta
    one passes unchanged.

    Raises:
        CheckpointError: The layout is neither.
    """
    return _convert_official(
        state_dict, 'TransNeXt', official='patch_embed1.', own='stem.conv.',
        rename=_rename_transnext, drop=_TRANSNEXT_TABLES,
        supported='the official TransNeXt files (patch_embed{i}.*, '
        'block{i}.j.*, norm{i}.*; ImageNet, Mask R-CNN, UperNet, DINO, '
        'Mask2Former), and mmmeta (stem.*, stages.i.*)')


def _convert_official(state_dict: StateDict, family: str, official: str,
                      own: str, rename, supported: str,
                      drop: Optional[re.Pattern] = None) -> StateDict:
    """Shared by the families with one official layout: pass mmmeta keys
    (any starting with ``own``) through, rename official ones (any starting
    with ``official``), drop keys matching ``drop``, flatten ``(C, 1, 1)``
    scales, refuse anything else."""
    keys = list(state_dict)
    if any(k.startswith(own) for k in keys):
        return dict(state_dict)
    if not any(k.startswith(official) for k in keys):
        raise CheckpointError(
            f'unrecognised {family} checkpoint layout (first keys: '
            f'{", ".join(keys[:6])}). Supported: {supported}.')
    converted = {}
    for key, value in state_dict.items():
        if drop is not None and drop.search(key):
            continue
        key = rename(key)
        if key.endswith('.scale') and value.dim() == 3:
            value = value.flatten()
        converted[key] = value
    return converted


# -------------------------------------------------------------------- FFNet
def _rename_ffnet(key: str) -> str:
    """Official FFNet (ysj9909/FFNet, classification and det/seg) -> mmmeta.
    In stages 1-3 the official block index 0 is the patch merging."""
    if key.startswith('patch_embed.'):
        return 'stem.layers.' + key[len('patch_embed.'):]
    if key.startswith(('norm.', 'head_dist.')):
        return 'head.' + key  # classifier BatchNorm, distillation head
    m = re.match(r'stages\.(\d+)\.(\d+)\.(.+)$', key)
    if not m:
        return key
    stage, index, rest = int(m.group(1)), int(m.group(2)), m.group(3)
    if stage > 0 and index == 0:
        rest = re.sub(r'^proj\.0\.', 'dw.', rest)
        rest = re.sub(r'^proj\.1\.conv\.', 'pw.', rest)
        return f'stages.{stage}.downsample.{rest}'
    block = index - 1 if stage > 0 else index
    prefix = f'stages.{stage}.blocks.{block}.'
    rest = re.sub(r'^token_mixer\.0\.main\.', 'token_mixer.', rest)
    rest = re.sub(r'^token_mixer\.0\.layer_scale$', 'layer_scale1.scale',
                  rest)
    rest = re.sub(r'^channel_mixer\.main\.', 'mlp.', rest)
    rest = re.sub(r'^channel_mixer\.layer_scale$', 'layer_scale2.scale', rest)
    return prefix + rest


def convert_ffnet(state_dict: StateDict) -> StateDict:
    """Rename an official FFNet state dict to mmmeta's layout (layer scales
    ``(C, 1, 1)`` become ``(C, )``); an mmmeta one passes unchanged.

    Raises:
        CheckpointError: The layout is neither.
    """
    return _convert_official(
        state_dict, 'FFNet', official='patch_embed.0.', own='stem.layers.',
        rename=_rename_ffnet,
        supported='the official FFNet files (patch_embed.*, stages.i.j.*; '
        'ImageNet, Cascade Mask R-CNN, UperNet) and mmmeta (stem.layers.*, '
        'stages.i.*)')


def convert_any(state_dict: StateDict) -> StateDict:
    """Rename a state dict of any supported family (MetaFormer families,
    TransNeXt, FFNet) to mmmeta's layout, whichever layout it is in.

    Raises:
        CheckpointError: No family recognises the layout.
    """
    errors = []
    for convert in (convert_metaformer, convert_transnext, convert_ffnet):
        try:
            return convert(state_dict)
        except CheckpointError as err:
            errors.append(str(err))
    raise CheckpointError('no supported layout:\n  ' + '\n  '.join(errors))
