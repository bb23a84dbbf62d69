"""ONNX export (tools/deployment/pytorch2onnx.py): every family
round-trips through onnxruntime at one size within 1e-4; dynamic-size
graphs of a backbone, a whole segmentor and a whole detector at three
sizes; a failed parity check exits non-zero; clear errors."""

import os.path as osp
import subprocess
import sys

import pytest
import torch
from families import FAMILIES

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'deployment'))
pytest.importorskip('onnxscript')
pytest.importorskip('onnxruntime')

import pytorch2onnx  # noqa: E402

from mmmeta.utils import onnx_export  # noqa: E402

# Families whose tracing takes minutes (TransNeXt-Micro's 21 blocks,
# docs/benchmarks.md) are exported with one block per stage below.
EXPORTED = [f for f in FAMILIES if f.exports_quickly]
# ``make test`` exports these (the frozen random mixing, convolution +
# attention, BatchNorm and the FFNet mixer; TransNeXt in test_transnext.py);
# the other families' exports are ``slow``.
EXPORTED_FAST = ('RandFormer', 'CAFormer', 'FFNet')
slow = pytest.mark.slow


def _options(family):
    return [f'{k}={v!r}' for k, v in family.options.items()]


@pytest.mark.parametrize(
    'family',
    [
        pytest.param(
            f, id=f.name, marks=() if f.name in EXPORTED_FAST else slow
        )
        for f in EXPORTED
    ],
)
def test_backbone_round_trips_through_onnxruntime(family, tmp_path):
    torch.manual_seed(0)
    args = [
        '--backbone',
        family.name,
        '--arch',
        family.smallest,
        '--out',
        str(tmp_path / 'model.onnx'),
        '--shape',
        '64',
        '64',
        '--repeats',
        '1',
    ]
    if family.options:
        args += ['--options', *_options(family)]
    results = pytorch2onnx.main(args)
    (result,) = results.values()
    assert result['max_rel_error'] <= 1e-4, result
    assert result['onnxruntime_ms'] > 0 and result['torch_ms'] > 0


@slow  # the whole segmentor's dynamic export below runs in make test
def test_dynamic_export_runs_at_three_sizes(tmp_path):
    torch.manual_seed(0)
    results = pytorch2onnx.main(
        [
            '--backbone',
            'PoolFormer',
            '--arch',
            's12',
            '--out',
            str(tmp_path / 'model.onnx'),
            '--shape',
            '64',
            '96',
            '--dynamic',
            '--repeats',
            '1',
        ]
    )
    assert list(results) == [(64, 96), (96, 128), (128, 96)]
    for result in results.values():
        assert result['max_rel_error'] <= 1e-4, result


@pytest.mark.parametrize(
    'config',
    [
        'demo/fpn_poolformer_s12_demo.py',  # mmseg's Upsample in the head
        pytest.param(
            'poolformer/retinanet_poolformer_s12_fpn_1x_coco.py', marks=slow
        ),
    ],
)
def test_whole_model_dynamic_export_holds_away_from_the_traced_size(
    config, tmp_path
):
    """A dynamic graph must compute the model at every size, not only at
    the example's (Semantic FPN's scale heads once froze their upsampling
    size: 3-13 % off elsewhere)."""
    pytest.importorskip('mmseg' if 'fpn_' in config else 'mmdet')
    torch.manual_seed(0)
    results = pytorch2onnx.main(
        [
            osp.join(ROOT, 'configs', config),
            '--out',
            str(tmp_path / 'model.onnx'),
            '--shape',
            '64',
            '96',
            '--dynamic',
            '--repeats',
            '1',
        ]
    )
    assert len(results) == 3
    for result in results.values():
        assert result['max_rel_error'] <= 1e-4, result


def test_failed_parity_exits_non_zero(tmp_path):
    out = tmp_path / 'tiny.onnx'
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'deployment', 'pytorch2onnx.py'),
            '--backbone',
            'PoolFormer',
            '--options',
            "arch={'depths': [1, 1, 1, 1], 'dims': [8, 8, 16, 16]}",
            '--out',
            str(out),
            '--shape',
            '64',
            '64',
            '--repeats',
            '1',
            '--tolerance',
            '0',
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode != 0
    assert 'does not compute what the model does at 64x64' in result.stderr
    assert out.is_file()  # written, for inspection


def test_unsupported_exports_say_why(tmp_path):
    from mmmeta.models import PoolFormer

    with pytest.raises(ValueError, match='--shape 96 64'):
        onnx_export.export(
            PoolFormer('s12').eval(),
            str(tmp_path / 'b'),
            (70, 64),
            dynamic=True,
        )
    with pytest.raises(ValueError, match='opset 17 or newer'):
        onnx_export.export(
            PoolFormer('s12').eval(), str(tmp_path / 'c'), (64, 64), opset=13
        )


def test_missing_optional_package_is_named(monkeypatch):
    import importlib

    real = importlib.import_module

    def fake(name, *args):
        if name == 'onnxruntime':
            raise ImportError('No module named onnxruntime')
        return real(name, *args)

    monkeypatch.setattr(importlib, 'import_module', fake)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[deploy\]"'):
        onnx_export.require('onnxruntime', 'Running the exported graph')
