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
from typing import Dict

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
