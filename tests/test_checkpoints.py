"""Pretrained loading: the wrappers and layouts of the sail-sg families,
safety against bad files, the offline converter (per-family strict loading
is a contract in test_contracts.py)."""

import os
import pickle
import re
import subprocess
import sys
import zipfile

import pytest
import torch
from fixture_utils import (
    fixture_input,
    fixture_state_dict,
    load_fixture,
    max_relative_error,
)

from mmmeta.models import CAFormer, PoolFormer
from mmmeta.models.utils import CheckpointError, convert_any
from mmmeta.registry import build_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONVERTER = os.path.join(
    ROOT, 'tools', 'model_converters', 'metaformer2mmmeta.py'
)


def sail_v1_dense():
    return fixture_state_dict(
        load_fixture('poolformer_s12_dense_64x64')['keys']
    )


def sail_v1_cls():
    return fixture_state_dict(load_fixture('poolformer_s12_cls_64x64')['keys'])


def sail_metaformer():
    return fixture_state_dict(load_fixture('caformer_s18_64x64')['keys'])


def to_timm(state):
    """The timm layout of a sail-sg checkpoint: mmmeta names with 1x1-conv
    MLP weights (timm runs PoolFormer v1 in NCHW)."""
    out = {}
    for key, value in convert_any(state).items():
        if re.search(r'mlp\.fc[12]\.weight$', key):
            value = value[:, :, None, None]
        out[key] = value
    return out


def build_loaded(tmp_path, cls, arch, payload, **kwargs):
    path = tmp_path / 'ckpt.pth'
    torch.save(payload, path)
    model = cls(
        arch, init_cfg=dict(type='Pretrained', checkpoint=str(path)), **kwargs
    )
    model.init_weights()
    return model.eval()


def outputs(model, hw=(64, 64)):
    with torch.no_grad():
        return model(fixture_input(2, *hw))


V1_LAYOUTS = {
    'sail-sg dense (backbone.)': lambda: {
        'state_dict': {f'backbone.{k}': v for k, v in sail_v1_dense().items()}
    },
    'sail-sg dense in a full mmseg model': lambda: {
        'meta': {'iter': 40000},
        'state_dict': {
            **{f'backbone.{k}': v for k, v in sail_v1_dense().items()},
            'decode_head.conv_seg.weight': torch.zeros(150, 128, 1, 1),
            'neck.lateral_convs.0.conv.weight': torch.zeros(256, 64, 1, 1),
        },
    },
    'mmpretrain (backbone.network)': lambda: {
        'state_dict': {
            **{f'backbone.{k}': v for k, v in sail_v1_dense().items()},
            'head.fc.weight': torch.zeros(1000, 512),
        }
    },
    'timm': lambda: to_timm(sail_v1_dense()),
    'DDP module. prefix in "model"': lambda: {
        'model': {f'module.{k}': v for k, v in sail_v1_dense().items()}
    },
}


@pytest.mark.parametrize('layout', sorted(V1_LAYOUTS))
def test_poolformer_layouts_give_official_outputs(tmp_path, layout):
    fixture = load_fixture('poolformer_s12_dense_64x64')
    model = build_loaded(tmp_path, PoolFormer, 's12', V1_LAYOUTS[layout]())
    for out, ref in zip(outputs(model), fixture['outputs']):
        assert max_relative_error(out, ref) <= 5e-4


def test_sail_release_classifier_drops_head_keeps_fresh_norms(tmp_path):
    fixture = load_fixture('poolformer_s12_cls_64x64')
    state = sail_v1_cls()
    assert 'head.weight' in state and 'norm.weight' in state
    model = build_loaded(tmp_path, PoolFormer, 's12', state)
    for i in range(4):
        norm = getattr(model, f'norm{i}')
        assert torch.equal(norm.weight, torch.ones_like(norm.weight))
    for out, ref in zip(outputs(model), fixture['outputs']):
        assert max_relative_error(out, ref) <= 5e-4


@pytest.mark.parametrize('wrap', ['plain', 'state_dict', 'model', 'timm'])
def test_metaformer_layouts(tmp_path, wrap):
    fixture = load_fixture('caformer_s18_64x64')
    state = sail_metaformer()
    payload = {
        'plain': state,
        'state_dict': {'state_dict': state, 'epoch': 300},
        'model': {'model': state},
        'timm': to_timm(state),
    }[wrap]
    model = build_loaded(tmp_path, CAFormer, 's18', payload, out_norm_cfg=None)
    for out, ref in zip(outputs(model), fixture['outputs']):
        assert max_relative_error(out, ref) <= 5e-4


def test_missing_backbone_key_is_an_error(tmp_path):
    state = sail_v1_dense()
    del state['network.4.3.mlp.fc1.weight']
    with pytest.raises(
        CheckpointError,
        match=r'missing backbone keys \(1\): '
        r'stages\.2\.blocks\.3\.mlp\.fc1\.weight',
    ):
        build_loaded(tmp_path, PoolFormer, 's12', state)


def test_checkpoint_of_another_size_is_an_error(tmp_path):
    with torch.device('meta'):
        s24_keys = [
            (k, v.shape) for k, v in PoolFormer('s24').state_dict().items()
        ]
    state = fixture_state_dict(s24_keys)
    with pytest.raises(CheckpointError, match='unexpected backbone keys'):
        build_loaded(tmp_path, PoolFormer, 's12', state)
    with torch.device('meta'):
        m36_keys = [
            (k, v.shape) for k, v in PoolFormer('m36').state_dict().items()
        ]
    with pytest.raises(
        CheckpointError,
        match=r'shape mismatches .*'
        r'stem\.conv\.weight: checkpoint \(96, 3, 7, 7\)',
    ):
        build_loaded(tmp_path, PoolFormer, 's12', fixture_state_dict(m36_keys))


def test_checkpoint_of_another_family_is_an_error(tmp_path):
    with pytest.raises(
        CheckpointError,
        match=r'PoolFormer cannot read .*'
        r'sail-sg metaformer.*CAFormer, ConvFormer.*another '
        r'family',
    ):
        build_loaded(tmp_path, PoolFormer, 's12', sail_metaformer())


def test_unknown_layout_is_an_error(tmp_path):
    with pytest.raises(CheckpointError, match='unrecognised PoolFormer'):
        build_loaded(
            tmp_path, PoolFormer, 's12', {'conv1.weight': torch.zeros(3)}
        )


class _RunsCode:
    """Unpickling this calls ``os.system``: what a malicious file does."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    payload = dict(sail_v1_dense(), evil=_RunsCode(marker))
    torch.save(payload, path)
    model = PoolFormer(
        's12', init_cfg=dict(type='Pretrained', checkpoint=str(path))
    )
    with pytest.raises(CheckpointError, match='weights_only=True'):
        model.init_weights()
    assert not marker.exists()
    # the same file through the converter CLI: refused, nothing run
    result = subprocess.run(
        [sys.executable, CONVERTER, str(path), str(tmp_path / 'out.pth')],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and 'weights_only=True' in result.stderr
    assert not marker.exists()
    # sanity check that the planted object really runs code when trusted
    with open(path, 'rb') as f:
        torch.load(f, weights_only=False)
    assert marker.exists()


def test_truncated_and_foreign_files(tmp_path):
    good = tmp_path / 'good.pth'
    torch.save(sail_v1_dense(), good)
    data = good.read_bytes()
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(data[: len(data) // 2])
    text = tmp_path / 'notes.pth'
    text.write_text('this is not a checkpoint')
    for path in (truncated, text):
        model = PoolFormer(
            's12', init_cfg=dict(type='Pretrained', checkpoint=str(path))
        )
        with pytest.raises(CheckpointError, match=re.escape(str(path))):
            model.init_weights()
    model = PoolFormer(
        's12',
        init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'no')),
    )
    with pytest.raises(CheckpointError, match='does not exist'):
        model.init_weights()
    assert zipfile.is_zipfile(good)


def test_nan_weights_are_an_error(tmp_path):
    state = sail_v1_dense()
    state['network.2.1.norm1.weight'][3] = float('nan')
    with pytest.raises(CheckpointError, match=r'NaN or Inf .*network\.2\.1'):
        build_loaded(tmp_path, PoolFormer, 's12', state)


def test_unreachable_url_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    url = 'http://127.0.0.1:9/poolformer_s12.pth.tar'
    model = PoolFormer('s12', init_cfg=dict(type='Pretrained', checkpoint=url))
    with pytest.raises(
        CheckpointError,
        match=r'(?s)Could not download .*127\.0\.0\.1.*'
        r'init_cfg=None',
    ):
        model.init_weights()


def test_converter_cli_roundtrip(tmp_path):
    src = tmp_path / 'poolformer_s12.pth.tar'
    torch.save(sail_v1_cls(), src)
    dst = tmp_path / 'converted.pth'
    result = subprocess.run(
        [
            sys.executable,
            CONVERTER,
            str(src),
            str(dst),
            '--model',
            'PoolFormer',
            '--arch',
            's12',
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert 'backbone tensors' in result.stdout
    converted = torch.load(dst, weights_only=True)['state_dict']
    assert converted['stages.0.blocks.0.mlp.fc1.weight'].shape == (256, 64)
    assert 'head.fc.weight' in converted and 'head.norm.weight' in converted
    model = build_module(dict(type='PoolFormer', arch='s12'))
    own = set(model.state_dict())
    assert {k for k in converted if not k.startswith('head.')} == own - {
        f'norm{i}.{p}' for i in range(4) for p in ('weight', 'bias')
    }
    # the converted file loads like the original
    fixture = load_fixture('poolformer_s12_cls_64x64')
    model = PoolFormer(
        's12', init_cfg=dict(type='Pretrained', checkpoint=str(dst))
    ).eval()
    model.init_weights()
    for out, ref in zip(outputs(model), fixture['outputs']):
        assert max_relative_error(out, ref) <= 5e-4
    # and a wrong --arch is refused with the reason
    result = subprocess.run(
        [
            sys.executable,
            CONVERTER,
            str(src),
            str(dst),
            '--model',
            'PoolFormer',
            '--arch',
            's24',
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and 'missing backbone keys' in result.stderr


def test_official_fixture_files_load_weights_only():
    """The reference data itself needs no unsafe unpickling."""
    fixture = load_fixture('poolformer_s12_dense_64x64')
    assert isinstance(pickle.dumps(fixture['keys']), bytes)
