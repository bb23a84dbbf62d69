"""Checkpoint layouts are recognised by signature: every registered layout
is checked, look-alike files of families mmmeta does not have are refused
(never read as the family they resemble), and two layouts that both read a
file are resolved by the family asking, or refused naming both."""

import pytest
import torch

from mmmeta.models import PoolFormer, TransNeXt
from mmmeta.models.utils import CheckpointError, detect_layout
from mmmeta.models.utils.layouts import (
    LAYOUTS,
    CheckpointLayout,
    convert_checkpoint,
    register_layout,
)


def tensors(keys):
    return {key: torch.zeros(2) for key in keys}


def convnext_like():
    """ConvNeXt's official names (facebookresearch/ConvNeXt): the MetaFormer
    baselines' ``downsample_layers.*`` and ``stages.i.j.*``, but ConvNeXt
    blocks (dwconv, norm, pwconv1, pwconv2, gamma) inside."""
    keys = [
        'downsample_layers.0.0.weight',
        'downsample_layers.0.1.weight',
        'downsample_layers.1.1.weight',
        'norm.weight',
        'head.weight',
    ]
    for stage in range(4):
        for block in range(2):
            keys += [
                f'stages.{stage}.{block}.{part}'
                for part in (
                    'dwconv.weight',
                    'norm.weight',
                    'pwconv1.weight',
                    'pwconv2.weight',
                    'gamma',
                )
            ]
    return tensors(keys)


def swiftformer_like():
    """SwiftFormer's names: ``patch_embed.0.*`` as FFNet's, ``network.*`` as
    PoolFormer's, blocks of neither."""
    keys = [
        'patch_embed.0.weight',
        'patch_embed.1.weight',
        'network.0.0.local_representation.pointwise_conv1.weight',
        'network.0.0.linear.fc1.weight',
        'network.1.proj.weight',
        'network.2.0.attn.to_query.weight',
        'norm.weight',
        'head.weight',
        'dist_head.weight',
    ]
    return tensors(keys)


@pytest.mark.parametrize(
    'state,looks_like',
    [
        (convnext_like(), 'sail-metaformer'),
        (swiftformer_like(), None),
    ],
    ids=['ConvNeXt-like', 'SwiftFormer-like'],
)
def test_look_alike_of_a_missing_family_is_refused(state, looks_like):
    with pytest.raises(CheckpointError) as error:
        detect_layout(state)
    if looks_like:
        assert f'looks like the {looks_like}' in str(error.value)
        assert 'pwconv1.weight' in str(error.value)  # the keys it lacks
    with pytest.raises(CheckpointError):
        PoolFormer(dict(depths=[1] * 4, dims=[8] * 4)).convert_checkpoint(
            state
        )


def test_mmmeta_files_of_other_families_are_not_timm():
    """TransNeXt in mmmeta's names has timm's stem.conv and stages.i.blocks
    but attention parts timm's layout does not know."""
    state = TransNeXt('micro', img_size=64).state_dict()
    assert LAYOUTS['timm'].matches(list(state))
    assert detect_layout(state) == 'mmmeta'
    assert detect_layout(PoolFormer('s12').state_dict()) == 'timm'


def test_two_readers_are_resolved_by_the_family_or_refused():
    keys = ['stem.conv.weight', 'stages.0.blocks.0.mlp.fc1.weight']
    twin = register_layout(
        CheckpointLayout(
            'test-twin',
            'a test twin of timm',
            requires=(r'stem\.conv\.',),
            covers=r'(stem|stages)\.',
        )
    )
    try:
        with pytest.raises(
            CheckpointError,
            match='several layouts: '
            r'timm .*; test-twin',
        ):
            detect_layout(tensors(keys))
        assert (
            detect_layout(tensors(keys), prefer=('test-twin',)) == 'test-twin'
        )
        assert set(
            convert_checkpoint(tensors(keys), ('timm',), 'PoolFormer')
        ) == set(keys)
    finally:
        del LAYOUTS[twin.name]


def test_a_layout_declares_its_signature():
    with pytest.raises(ValueError, match='required key pattern'):
        CheckpointLayout('empty', 'nothing', requires=())
