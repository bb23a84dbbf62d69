"""The registry of checkpoint key layouts.

Each family folder registers the layouts of its official checkpoints,
:class:`CheckpointLayout` instances with a key signature, with
:func:`register_layout` (``mmmeta/models/backbones/<family>/
converter.py``); a backbone class lists the layouts it accepts in
``checkpoint_layouts``. :func:`detect_layout` checks every registered
layout and resolves look-alikes by one stated rule, so a new family needs
no edit here. mmmeta's own names and timm's (shared by several families)
are registered here.

A converted state dict uses mmmeta's parameter names; the classification
parts of a checkpoint end up under ``head.`` in one scheme for all
families: ``head.norm.*`` (a final norm), ``head.fc.*`` (a linear
classifier) or ``head.fc.{fc1,norm,fc2}.*`` (an MLP classifier).
"""

import re
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import torch

from .checkpoint import CheckpointError

StateDict = Dict[str, torch.Tensor]
LAYOUTS: Dict[str, 'CheckpointLayout'] = {}


class CheckpointLayout:
    """One key layout of checkpoints and its conversion to mmmeta names.

    A layout is recognised by its *signature*: ``requires``, key patterns
    that must each match some key, and ``covers``, one pattern that every
    key of a file in this layout matches (what the layout knows how to
    rename). A layout without ``covers`` is *generic*: it reads any key
    (mmmeta's own names) and is used only when no specific layout reads
    the whole file (see :func:`detect_layout`).

    Args:
        name (str): Registry key, e.g. ``'sail-poolformer'``.
        description (str): What a user would recognise, for messages.
        requires (Sequence[str]): Regexes (``re.match`` on keys), each of
            which some key must match.
        covers (str, optional): A regex every key must match (``re.match``)
            for a file to be in this layout. None: generic.
        rename (callable, optional): The mmmeta name of one key. Defaults
            to the key itself.
        pointwise_keys (str, optional): A regex of keys (after renaming)
            whose 1x1-convolution weights become linear weights: the
            official NCHW MLPs of layouts mmmeta runs channels-last.
        drop_keys (str, optional): A regex of keys to leave out (tables
            some official files store although they are not parameters).
        flatten_scales (bool): Store ``(C, 1, 1)`` layer scales as ``(C, )``.
    """

    def __init__(
        self,
        name: str,
        description: str,
        requires: Sequence[str],
        covers: Optional[str] = None,
        rename: Optional[Callable[[str], str]] = None,
        pointwise_keys: Optional[str] = None,
        drop_keys: Optional[str] = None,
        flatten_scales: bool = False,
    ):
        if not requires:
            raise ValueError(
                f'layout {name!r} needs at least one required key pattern'
            )
        self.name, self.description = name, description
        self.requires = tuple(re.compile(p) for p in requires)
        self.covers = re.compile(covers) if covers else None
        self.rename = rename or (lambda key: key)
        self.pointwise_keys, self.drop_keys = pointwise_keys, drop_keys
        self.flatten_scales = flatten_scales

    @property
    def generic(self) -> bool:
        return self.covers is None

    def matches(self, keys: Sequence[str]) -> bool:
        """Whether every required pattern matches some key."""
        return all(any(p.match(k) for k in keys) for p in self.requires)

    def uncovered(self, keys: Sequence[str]) -> List[str]:
        """Keys this layout does not know (none for a generic one)."""
        if self.covers is None:
            return []
        return [k for k in keys if not self.covers.match(k)]

    def convert(self, state_dict: StateDict) -> StateDict:
        """Rename every key; values are unchanged but for the reshapes the
        layout asks for."""
        converted = {}
        for key, value in state_dict.items():
            if self.drop_keys and re.search(self.drop_keys, key):
                continue
            key = self.rename(key)
            if (
                self.pointwise_keys
                and value.dim() == 4
                and value.shape[2:] == (1, 1)
                and re.search(self.pointwise_keys, key)
            ):
                value = value.flatten(1)
            if (
                self.flatten_scales
                and key.endswith('.scale')
                and value.dim() == 3
            ):
                value = value.flatten()
            converted[key] = value
        return converted


def register_layout(layout: CheckpointLayout) -> CheckpointLayout:
    """Register a layout under its name (a family's ``converter.py`` does
    this on import)."""
    LAYOUTS[layout.name] = layout
    return layout


def _first_keys(keys: Sequence[str]) -> str:
    return ', '.join(list(keys)[:6])


def detect_layout(state_dict: StateDict, prefer: Sequence[str] = ()) -> str:
    """The layout a state dict is in, by the stated rule:

    1. the specific layouts that read every key are the candidates; of
       these, the first of ``prefer`` (a family's own layouts) wins;
    2. else a single candidate wins, and two or more are refused, naming
       them (never a silent choice);
    3. with no candidate, a generic layout (mmmeta's own names) reads it;
    4. else the file is refused: a layout whose required keys are there but
       which does not know some keys is named with those keys (a
       look-alike of another family, e.g. ConvNeXt's blocks under the
       MetaFormer baselines' ``stages.i.j``).

    Raises:
        CheckpointError: Steps 2 and 4.
    """
    keys = list(state_dict)
    found = [layout for layout in LAYOUTS.values() if layout.matches(keys)]
    complete = [
        layout
        for layout in found
        if not layout.generic and not layout.uncovered(keys)
    ]
    for name in prefer:
        if LAYOUTS[name] in complete:
            return name
    if len(complete) == 1:
        return complete[0].name
    if complete:
        raise CheckpointError(
            'this checkpoint fits several layouts: '
            + '; '.join(
                f'{layout.name} ({layout.description})' for layout in complete
            )
            + '. Convert it with the family '
            'named (tools/model_converters/metaformer2mmmeta.py --model).'
        )
    generic = [layout for layout in found if layout.generic]
    if generic:
        return generic[0].name
    if found:
        raise CheckpointError(
            '; '.join(
                f'it looks like the {layout.name} layout '
                f'({layout.description}) but has keys that layout does not '
                'know: '
                f'{_first_keys(layout.uncovered(keys))}'
                for layout in found
            )
            + '. Is it a checkpoint of a family '
            'mmmeta does not have?'
        )
    raise CheckpointError(
        f'no supported checkpoint layout matches (first keys: '
        f'{_first_keys(keys)}). Supported: '
        + '; '.join(layout.description for layout in LAYOUTS.values())
    )


def convert_checkpoint(
    state_dict: StateDict, layouts: Iterable[str], family: str
) -> StateDict:
    """Convert with the layout :func:`detect_layout` finds, asking for
    ``layouts`` (the family's) first.

    Raises:
        CheckpointError: The file is in no layout, or in one ``family``
            does not read; the message says which families read it.
    """
    layouts = list(layouts)
    supported = '; '.join(LAYOUTS[name].description for name in layouts)
    try:
        name = detect_layout(state_dict, prefer=layouts)
    except CheckpointError as error:
        raise CheckpointError(
            f'unrecognised {family} checkpoint: {error} '
            f'{family} reads: {supported}.'
        ) from error
    if name not in layouts:
        readers = ', '.join(families_reading(name)) or 'no backbone'
        raise CheckpointError(
            f'{family} cannot read this checkpoint: it is in the '
            f'{LAYOUTS[name].description} layout, which {readers} reads. '
            f'Is it a checkpoint of another family? {family} reads: '
            f'{supported}.'
        )
    return LAYOUTS[name].convert(state_dict)


def families_reading(layout: str) -> list:
    """Names of the registered mmmeta backbones that read ``layout``."""
    from ...registry import MODELS

    return sorted(
        name
        for name, cls in MODELS.module_dict.items()
        if layout in getattr(cls, 'checkpoint_layouts', ())
        and not LAYOUTS[layout].generic
    )


def convert_any(state_dict: StateDict) -> StateDict:
    """Rename a state dict of any supported family to mmmeta's layout,
    whichever registered layout it is in (:func:`detect_layout`).

    Raises:
        CheckpointError: No layout, or more than one, recognises it.
    """
    return LAYOUTS[detect_layout(state_dict)].convert(state_dict)


register_layout(
    CheckpointLayout(
        'mmmeta',
        'mmmeta (stem.*, stages.i.*)',
        requires=(r'stem\.', r'stages\.\d+\.'),
    )
)

#: The 1x1-convolution weights of the official NCHW implementations
#: (sail-sg's PoolFormer and MetaFormer baselines, timm).
SAIL_POINTWISE = r'\.(mlp\.fc[12]|token_mixer\.pwconv[12])\.weight$'


def rename_sail_classifier(key: str) -> str:
    """The sail-sg classifier parts (PoolFormer v1 and the MetaFormer
    baselines): final ``norm`` and ``head`` become ``head.norm`` and
    ``head.fc``."""
    if key.startswith('norm.'):
        return 'head.' + key
    if key.startswith('head.'):
        return 'head.fc.' + key[len('head.') :]
    return key


# timm's metaformer.py names are mmmeta's (PoolFormer v1 and the MetaFormer
# baselines); its NCHW stages keep 1x1-conv weights. It knows the
# baselines' mixers and MLPs only, so files of other families in mmmeta's
# names (TransNeXt's attention, FFNet's stem) are not taken for it.
register_layout(
    CheckpointLayout(
        'timm',
        'timm/mmmeta (stem.*, stages.i.blocks.j.*)',
        requires=(r'stem\.conv\.', r'stages\.\d+\.blocks\.\d+\.'),
        covers=r'(stem\.(conv|norm)|stages\.\d+\.(downsample\.(conv|norm|'
        r'pre_norm|post_norm)|blocks\.\d+\.(norm1|norm2|token_mixer\.(pwconv1|'
        r'dwconv|pwconv2|act1|act2|qkv|proj|random_matrix)|mlp\.(fc1|fc2|act|'
        r'norm)|layer_scale\d|res_scale\d))|norm\d?|head)(\.|$)',
        pointwise_keys=SAIL_POINTWISE,
    )
)


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
                out[new + key[len(old) :]] = value
                break
        else:
            if key.startswith('head.'):
                continue  # a part no mmpretrain head has (e.g. pre-logits)
            out['backbone.' + key] = value
    return out
