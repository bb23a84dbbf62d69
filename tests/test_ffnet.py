"""FFNet: equivalence with the official code, deploy folding, loading,
norms and the layer-decay optimizer constructor."""
import pytest
import torch
from fixture_utils import (
    fixture_input,
    fixture_state_dict,
    load_fixture,
    max_relative_error,
)
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmmeta.models import FFNet


@pytest.mark.parametrize('name', ['ffnet_1_64x64', 'ffnet_3_96x128'])
def test_matches_official_outputs_before_and_after_deploy(tmp_path, name):
    """The official dense backbone's outputs (BN in eval mode) from an
    official-layout file; switch_to_deploy() keeps them to 1e-5."""
    fixture = load_fixture(name)
    path = tmp_path / 'ffnet.pth.tar'
    torch.save({'state_dict': fixture_state_dict(fixture['keys'])}, path)
    model = FFNet(fixture['arch'],
                  init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    model.eval()
    x = fixture_input(fixture['batch'], *fixture['input_hw'])
    with torch.no_grad():
        outs = model(x)
        for out, ref in zip(outs, fixture['outputs']):
            assert out.shape == ref.shape
            assert max_relative_error(out, ref) <= 5e-4
        model.switch_to_deploy()
        deployed = model(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    for out, ref in zip(deployed, outs):
        assert max_relative_error(out, ref) <= 1e-5


def test_deploy_folds_trained_batch_statistics():
    """Folding uses the running statistics and affine parameters (nontrivial
    values after training steps), not the initial ones."""
    model = FFNet('3', layer_scale_init_value=0.5, drop_path_rate=0.0)
    model.train()
    for _ in range(2):
        model(torch.randn(2, 3, 64, 64))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(('bn.weight', 'bn.bias', '.scale')):
                p.uniform_(0.5, 1.5)
    model.eval()
    x = torch.randn(1, 3, 70, 90)
    with torch.no_grad():
        before = model(x)
        after = model.switch_to_deploy()(x)
    for a, b in zip(after, before):
        assert max_relative_error(a, b) <= 1e-5


def test_layer_scale_loads_from_the_official_shape():
    fixture = load_fixture('ffnet_3_96x128')
    state = fixture_state_dict(fixture['keys'])
    key = 'stages.1.2.channel_mixer.layer_scale'
    assert state[key].shape == (192, 1, 1)
    model = FFNet('3')
    model.load_state_dict(state)
    assert torch.equal(model.stages[1].blocks[1].layer_scale2.scale,
                       state[key].flatten())


def test_norm_cfg_and_no_init_cfg_needed():
    model = FFNet('1', norm_cfg=dict(type='SyncBN', requires_grad=False))
    norms = [m for m in model.modules() if isinstance(m, nn.SyncBatchNorm)]
    assert len(norms) > 50
    assert not any(p.requires_grad for m in norms for p in m.parameters())
    assert not any(isinstance(m, nn.BatchNorm2d) and
                   not isinstance(m, nn.SyncBatchNorm)
                   for m in model.modules())
    model = FFNet('ffnet_1', norm_eval=True).train()  # no init_cfg at all
    assert all(not m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))


@pytest.mark.parametrize('hw', [(33, 47), (64, 40)])
def test_odd_input_sizes(hw):
    model = FFNet('1').eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *hw))
    size = [-(-hw[0] // 4), -(-hw[1] // 4)]
    for out, dim in zip(outs, model.dims):
        assert out.shape == (1, dim, *size)
        size = [-(-s // 2) for s in size]


def official_layer_id(name, num_layers):
    """ysj9909/FFNet's get_layer_id on official parameter names."""
    if name.startswith('backbone.stages'):
        stage, block = int(name.split('.')[2]), int(name.split('.')[3])
        return [1, 2, 3 + block // 3, num_layers][stage]
    return num_layers + 1


def test_layer_decay_matches_the_official_constructor():
    from mmmeta.models.utils.ckpt_convert import _rename_ffnet

    class Detector(nn.Module):

        def __init__(self):
            super().__init__()
            self.backbone = FFNet('1')
            self.neck = nn.Linear(4, 4)

    model = Detector()
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper',
        constructor='mmmeta.LayerDecayOptimWrapperConstructor',
        optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
        paramwise_cfg=dict(decay_rate=0.8, num_layers=12)))
    groups = {id(p): g for g in wrapper.optimizer.param_groups
              for p in g['params']}
    # official names of our parameters: invert the checkpoint renaming
    renamed = {}
    for key in [k for k, _ in load_fixture('ffnet_1_64x64')['keys']]:
        renamed[_rename_ffnet(key)] = key
    checked = 0
    for name, param in model.named_parameters():
        local = name[len('backbone.'):]
        if local.startswith('stages.'):
            ref = official_layer_id('backbone.' + renamed[local], 12)
        else:
            ref = 13
        group = groups[id(param)]
        assert group['lr'] == pytest.approx(1e-4 * 0.8**(13 - ref)), name
        no_decay = param.ndim == 1 or name.endswith('.bias')
        assert group['weight_decay'] == (0.0 if no_decay else 0.05), name
        checked += 1
    assert checked == len(list(model.parameters()))


def test_layer_decay_needs_its_settings():
    with pytest.raises(KeyError, match='num_layers'):
        build_optim_wrapper(FFNet('1'), dict(
            type='OptimWrapper',
            constructor='mmmeta.LayerDecayOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-4),
            paramwise_cfg=dict(decay_rate=0.8)))


def test_offline_converter_handles_ffnet_and_transnext(tmp_path):
    import importlib.util
    import os.path as osp
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    spec = importlib.util.spec_from_file_location(
        'converter', osp.join(root, 'tools', 'model_converters',
                              'metaformer2mmmeta.py'))
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    for fixture, model in (('ffnet_1_64x64', FFNet('1')),
                           ('transnext_tiny_224x224', None)):
        keys = load_fixture(fixture)['keys']
        src, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
        torch.save({'state_dict': fixture_state_dict(keys)}, src)
        assert converter.main([str(src), str(dst)]) == 0
        converted = torch.load(dst, weights_only=True)['state_dict']
        assert not any(k.startswith(('patch_embed', 'block'))
                       for k in converted)
        if model is not None:
            model.load_state_dict(converted)  # strict: mmmeta names
