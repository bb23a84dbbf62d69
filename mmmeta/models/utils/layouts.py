"""The registry of checkpoint key layouts.

Each family folder registers the layouts of its official checkpoints,
:class:`CheckpointLayout` instances, with :func:`register_layout`
(``mmmeta/models/backbones/<family>/converter.py``); a backbone class lists
the layouts it accepts in ``checkpoint_layouts``. :func:`convert_any`
walks every registered layout, so a new family needs no edit here.

A converted state dict uses mmmeta's parameter names; the classification
parts of a checkpoint end up under ``head.`` in one scheme for all
families: ``head.norm.*`` (a final norm), ``head.fc.*`` (a linear
classifier) or ``head.fc.{fc1,norm,fc2}.*`` (an MLP classifier).
"""
import re
from typing import Callable, Dict, Iterable, Optional, Sequence

import torch

from .checkpoint import CheckpointError

StateDict = Dict[str, torch.Tensor]
LAYOUTS: Dict[str, 'CheckpointLayout'] = {}


class CheckpointLayout:
    """One key layout of checkpoints and its conversion to mmmeta names.

    Args:
        name (str): Registry key, e.g. ``'sail-poolformer'``.
        description (str): What a user would recognise, for messages.
        key_prefix (str): A key prefix only this layout has; ``matches``
            looks for it unless ``matches`` is given.
        rename (callable, optional): The mmmeta name of one key. Defaults
            to the key itself.
        matches (callable, optional): ``keys -> bool``, instead of the
            prefix test.
        pointwise_keys (str, optional): A regex of keys (after renaming)
            whose 1x1-convolution weights become linear weights: the
            official NCHW MLPs of layouts mmmeta runs channels-last.
        drop_keys (str, optional): A regex of keys to leave out (tables
            some official files store although they are not parameters).
        flatten_scales (bool): Store ``(C, 1, 1)`` layer scales as ``(C, )``.
    """

    def __init__(self, name: str, description: str, key_prefix: str = '',
                 rename: Optional[Callable[[str], str]] = None,
                 matches: Optional[Callable[[Sequence[str]], bool]] = None,
                 pointwise_keys: Optional[str] = None,
                 drop_keys: Optional[str] = None,
                 flatten_scales: bool = False):
        self.name, self.description = name, description
        self.key_prefix = key_prefix
        self.rename = rename or (lambda key: key)
        self._matches = matches
        self.pointwise_keys, self.drop_keys = pointwise_keys, drop_keys
        self.flatten_scales = flatten_scales

    def matches(self, keys: Sequence[str]) -> bool:
        """Whether a state dict with these keys is in this layout."""
        if self._matches is not None:
            return self._matches(keys)
        return any(k.startswith(self.key_prefix) for k in keys)

    def convert(self, state_dict: StateDict) -> StateDict:
        """Rename every key; values are unchanged but for the reshapes the
        layout asks for."""
        converted = {}
        for key, value in state_dict.items():
            if self.drop_keys and re.search(self.drop_keys, key):
                continue
            key = self.rename(key)
            if self.pointwise_keys and value.dim() == 4 and \
                    value.shape[2:] == (1, 1) and \
                    re.search(self.pointwise_keys, key):
                value = value.flatten(1)
            if self.flatten_scales and key.endswith('.scale') and \
                    value.dim() == 3:
                value = value.flatten()
            converted[key] = value
        return converted


def register_layout(layout: CheckpointLayout) -> CheckpointLayout:
    """Register a layout under its name (a family's ``converter.py`` does
    this on import)."""
    LAYOUTS[layout.name] = layout
    return layout


def _first_keys(state_dict: StateDict) -> str:
    return ', '.join(list(state_dict)[:6])


def convert_checkpoint(state_dict: StateDict, layouts: Iterable[str],
                       family: str) -> StateDict:
    """Convert with the first of ``layouts`` that matches.

    Raises:
        CheckpointError: None matches; the message lists what ``family``
            accepts.
    """
    layouts = [LAYOUTS[name] for name in layouts]
    keys = list(state_dict)
    for layout in layouts:
        if layout.matches(keys):
            return layout.convert(state_dict)
    supported = '; '.join(layout.description for layout in layouts)
    try:
        other = detect_layout(state_dict)
    except CheckpointError:
        other = None
    if other is not None:
        readers = ', '.join(families_reading(other)) or 'no backbone'
        raise CheckpointError(
            f'{family} cannot read this checkpoint: it is in the '
            f'{LAYOUTS[other].description} layout, which {readers} reads. '
            f'Is it a checkpoint of another family? {family} reads: '
            f'{supported}.')
    raise CheckpointError(
        f'unrecognised {family} checkpoint layout (first keys: '
        f'{_first_keys(state_dict)}). Supported: {supported}.')


def families_reading(layout: str) -> list:
    """Names of the registered mmmeta backbones that read ``layout``."""
    from ...registry import MODELS
    return sorted(
        name for name, cls in MODELS.module_dict.items()
        if layout in getattr(cls, 'checkpoint_layouts', ()) and
        layout != 'mmmeta')


def detect_layout(state_dict: StateDict) -> str:
    """The name of the first registered layout matching ``state_dict``."""
    keys = list(state_dict)
    # mmmeta's own layout (stem.*, stages.i.*) is the fallback, tried last
    ordered = sorted(LAYOUTS.items(), key=lambda item: item[0] == 'mmmeta')
    for name, layout in ordered:
        if layout.matches(keys):
            return name
    raise CheckpointError(
        f'no supported checkpoint layout matches (first keys: '
        f'{_first_keys(state_dict)}). Supported: ' +
        '; '.join(layout.description for layout in LAYOUTS.values()))


def convert_any(state_dict: StateDict) -> StateDict:
    """Rename a state dict of any supported family to mmmeta's layout,
    whichever registered layout it is in (official ones first, mmmeta's own
    last).

    Raises:
        CheckpointError: No layout recognises it.
    """
    return LAYOUTS[detect_layout(state_dict)].convert(state_dict)


register_layout(CheckpointLayout(
    'mmmeta', 'mmmeta (stem.*, stages.i.*)',
    matches=lambda keys: any(k.startswith('stem.') for k in keys) and any(
        re.match(r'stages\.\d+\.', k) for k in keys)))


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
            if key.startswith('head.'):
                continue  # a part no mmpretrain head has (e.g. pre-logits)
            out['backbone.' + key] = value
    return out
