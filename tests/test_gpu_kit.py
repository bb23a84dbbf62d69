"""The GPU kit on the CPU: tools/gpu/run_all.sh --dry-run runs every step
of the device run at toy sizes, and the training-iteration tool it uses
times configs side by side and catches non-finite losses."""

import json
import math
import os.path as osp
import subprocess
import sys
import tarfile

import pytest
from support import mmpretrain_env

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))

import train_iteration  # noqa: E402

pytest.importorskip('mmseg')
pytest.importorskip('mmdet')

FPN = osp.join(ROOT, 'configs', 'fpn_poolformer_s12_ade20k.py')
MMSEG_FPN = 'mmseg::poolformer/fpn_poolformer_s12_8xb4-40k_ade20k-512x512.py'
MASK_RCNN = osp.join(
    ROOT, 'configs', 'poolformer', 'mask_rcnn_poolformer_s12_fpn_1x_coco.py'
)


def test_run_all_dry_run(tmp_path):
    """Every step runs (or says why it is skipped), the summary says it is
    a dry run, and the logs come back as one archive."""
    result = subprocess.run(
        ['bash', osp.join(ROOT, 'tools', 'gpu', 'run_all.sh'), '--dry-run']
        + ['--out', str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = (tmp_path / 'summary.md').read_text()
    assert result.returncode == 0, summary + result.stderr[-3000:]
    assert 'dry run on the CPU' in summary
    rows = [line for line in summary.splitlines() if line.startswith('| ')]
    steps = {row.split('|')[1].strip(): row.split('|')[2] for row in rows[1:]}
    assert {'gpu-tests', 'fpn-iteration-amp', 'mask-rcnn-300-amp-fp16'} <= set(
        steps
    )
    for name, status in steps.items():
        assert status.strip() == 'ok' or 'skipped' in status, (name, status)
    with tarfile.open(tmp_path / 'logs.tar.gz') as archive:
        names = archive.getnames()
    assert 'logs/gpu-tests.log' in names
    gpu_log = (tmp_path / 'logs' / 'gpu-tests.log').read_text()
    assert 'skipped' in gpu_log and 'passed' not in gpu_log


@pytest.mark.parametrize(
    'args',
    [['--dry-run', '--frobnicate'], ['--budget']],
    ids=['unknown', 'missing value'],
)
def test_run_all_refuses_bad_arguments(args):
    result = subprocess.run(
        ['bash', osp.join(ROOT, 'tools', 'gpu', 'run_all.sh'), *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0


def test_build_wheelhouse_refuses_unknown_arguments():
    script = osp.join(ROOT, 'tools', 'gpu', 'build_wheelhouse.sh')
    result = subprocess.run(
        ['bash', script, '--frobnicate'], capture_output=True, text=True
    )
    assert result.returncode == 2 and 'unknown argument' in result.stderr
    assert (
        'mmcv'
        in subprocess.run(
            ['bash', script, '--help'], capture_output=True, text=True
        ).stdout
    )


def test_train_iteration_next_to_mmsegs_own_config(tmp_path):
    """Our FPN config and mmseg's own (mmpretrain's PoolFormer), timed
    interleaved on the same generated batch."""
    out = tmp_path / 'result.json'
    subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'analysis', 'train_iteration.py'),
        ]
        + [FPN, MMSEG_FPN]
        + '--batch 1 --crop 64 64 --steps 1 --warmup 0 --no-memory'.split()
        + ['--device', 'cpu', '--json', str(out)],
        check=True,
        env=mmpretrain_env(),
        timeout=600,
    )
    results = json.loads(out.read_text())['results']
    assert list(results) == [FPN, MMSEG_FPN]
    assert results[FPN]['speedup'] == 1.0
    for result in results.values():
        assert result['images_per_s'] > 0 and result['crop'] == [64, 64]


@pytest.mark.parametrize('config', [FPN, MASK_RCNN], ids=['fpn', 'mask-rcnn'])
def test_train_iteration_fp16_autocast_with_a_scaler(config):
    """CPU fp16 autocast with a gradient scaler (mmcv's CPU NMS/RoIAlign
    get float32 inputs); every loss finite."""
    results = train_iteration.main(
        [config]
        + '--batch 1 --crop 64 64 --steps 2 --amp fp16 --no-timing'.split()
        + ['--device', 'cpu']
    )
    losses = results[config]['losses']
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)


def test_a_non_finite_loss_stops_the_run(capsys):
    class Run:
        name, losses = 'some/config.py', [1.0, float('nan')]

    with pytest.raises(SystemExit) as stop:
        train_iteration._check_finite(Run(), 0)
    assert stop.value.code == 1
    assert 'iteration 1 of some/config.py' in capsys.readouterr().err
