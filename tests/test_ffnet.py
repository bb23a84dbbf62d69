"""FFNet: loading details, the conv-BN norm setting, layer scales and the
layer-decay optimizer constructor (the shared contracts are in
test_contracts.py)."""

import pytest
import torch
from fixture_utils import fixture_state_dict, load_fixture
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmmeta.models import FFNet


def test_layer_scale_loads_from_the_official_shape():
    fixture = load_fixture('ffnet_3_96x128')
    state = fixture_state_dict(fixture['keys'])
    key = 'stages.1.2.channel_mixer.layer_scale'
    assert state[key].shape == (192, 1, 1)
    model = FFNet('3')
    model.load_state_dict(state)
    assert torch.equal(
        model.stages[1].blocks[1].layer_scale2.scale, state[key].flatten()
    )


def test_conv_norm_cfg_and_no_init_cfg_needed():
    model = FFNet('1', conv_norm_cfg=dict(type='SyncBN', requires_grad=False))
    norms = [m for m in model.modules() if isinstance(m, nn.SyncBatchNorm)]
    assert len(norms) > 50
    assert not any(p.requires_grad for m in norms for p in m.parameters())
    assert not any(
        isinstance(m, nn.BatchNorm2d) and not isinstance(m, nn.SyncBatchNorm)
        for m in model.modules()
    )
    FFNet('ffnet_1')  # no init_cfg at all
    with pytest.raises(TypeError, match='now called conv_norm_cfg'):
        FFNet('1', norm_cfg=dict(type='BN'))


def test_layer_scale_is_applied_not_dropped():
    """FFNet-1/2 have no layer scale; asking for one adds it (and FFNet-3's
    can be switched off), instead of silently ignoring the argument."""
    model = FFNet('1', layer_scale_init_value=1e-6)
    block = model.stages[2].blocks[0]
    assert block.layer_scale1.scale.shape == (320,)
    assert block.layer_scale2.scale[0].item() == pytest.approx(1e-6)
    assert isinstance(
        FFNet('3', layer_scale_init_value=None)
        .stages[0]
        .blocks[0]
        .layer_scale1,
        nn.Identity,
    )


def official_layer_id(name, num_layers):
    """ysj9909/FFNet's get_layer_id on official parameter names."""
    if name.startswith('backbone.stages'):
        stage, block = int(name.split('.')[2]), int(name.split('.')[3])
        return [1, 2, 3 + block // 3, num_layers][stage]
    return num_layers + 1


def test_layer_decay_matches_the_official_constructor():
    from mmmeta.models.utils import LAYOUTS

    rename = LAYOUTS['ffnet-official'].rename

    class Detector(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = FFNet('1')
            self.neck = nn.Linear(4, 4)

    model = Detector()
    wrapper = build_optim_wrapper(
        model,
        dict(
            type='OptimWrapper',
            constructor='mmmeta.LayerDecayOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
            paramwise_cfg=dict(decay_rate=0.8, num_layers=12),
        ),
    )
    groups = {
        id(p): g for g in wrapper.optimizer.param_groups for p in g['params']
    }
    # official names of our parameters: invert the checkpoint renaming
    renamed = {}
    for key in [k for k, _ in load_fixture('ffnet_1_64x64')['keys']]:
        renamed[rename(key)] = key
    checked = 0
    for name, param in model.named_parameters():
        local = name[len('backbone.') :]
        if local.startswith('stages.'):
            ref = official_layer_id('backbone.' + renamed[local], 12)
        else:
            ref = 13
        group = groups[id(param)]
        assert group['lr'] == pytest.approx(1e-4 * 0.8 ** (13 - ref)), name
        no_decay = param.ndim == 1 or name.endswith('.bias')
        assert group['weight_decay'] == (0.0 if no_decay else 0.05), name
        checked += 1
    assert checked == len(list(model.parameters()))


def test_layer_decay_needs_its_settings():
    with pytest.raises(KeyError, match='num_layers'):
        build_optim_wrapper(
            FFNet('1'),
            dict(
                type='OptimWrapper',
                constructor='mmmeta.LayerDecayOptimWrapperConstructor',
                optimizer=dict(type='AdamW', lr=1e-4),
                paramwise_cfg=dict(decay_rate=0.8),
            ),
        )


def test_offline_converter_handles_ffnet_and_transnext(tmp_path):
    import importlib.util
    import os.path as osp

    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    spec = importlib.util.spec_from_file_location(
        'converter',
        osp.join(root, 'tools', 'model_converters', 'metaformer2mmmeta.py'),
    )
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    for fixture, model in (
        ('ffnet_1_64x64', FFNet('1')),
        ('transnext_tiny_224x224', None),
    ):
        keys = load_fixture(fixture)['keys']
        src, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
        torch.save({'state_dict': fixture_state_dict(keys)}, src)
        assert converter.main([str(src), str(dst)]) == 0
        converted = torch.load(dst, weights_only=True)['state_dict']
        assert not any(
            k.startswith(('patch_embed', 'block')) for k in converted
        )
        if model is not None:
            model.load_state_dict(converted)  # strict: mmmeta names
