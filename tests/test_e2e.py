"""The real tools on the real configs, shrunk to a few CPU iterations.

Each run writes a small config that inherits a shipped config and only
points it at generated data and shortens the schedule; the model, optimizer
type and pipelines' transforms are the shipped ones.
"""

import json
import os.path as osp
import re

import pytest
from support import ROOT, mmpretrain_env, tool, write_overlay

pytest.importorskip('mmdet')
pytest.importorskip('mmseg')
slow = pytest.mark.slow


METRICS = {
    'mmseg': [r'mIoU: [0-9.]+'],
    'mmpretrain': [r'accuracy/top1: [0-9.]+'],
    'retinanet': [r'coco/bbox_mAP: [0-9.]+'],
    'mask': [r'coco/bbox_mAP: [0-9.]+', r'coco/segm_mAP: [0-9.]+'],
    'dino': [r'coco/bbox_mAP: [0-9.]+'],
}
# One config per recipe kind through the real tools; every config's model,
# optimizer and metric also run in-process in test_config_runs.py and
# test_classification.py. ``make test`` runs the README's two commands on
# its segmentation config here, and on a detection config (Mask R-CNN
# PoolFormer-S12, with broken annotations) in test_bad_data.py's
# test_coco_problems_are_named_and_nothing_is_dropped_in_eval; the rest
# are ``slow``.
E2E = ['fpn_poolformer_s12_ade20k.py']  # the README's command
E2E_SLOW = [
    'metaformer_baselines/retinanet_caformer_s18_fpn_1x_coco.py',
    'metaformer_baselines/mask_rcnn_convformer_s18_fpn_1x_coco.py',
    # SyncBN inside the backbone, converted for one CPU process
    'ffnet/fpn_ffnet_1_ade20k.py',
    'ffnet/ffnet-seg_8xb2-160k_ade20k-512x512.py',
    'transnext/dino-4scale_transnext_tiny-12e_coco.py',
    'transnext/mask2former_transnext_tiny_8xb2-160k_ade20k-512x512.py',
    'classification/poolformerv2_s12_in1k.py',
]


def metric_kind(config):
    from support import load_config

    scope = load_config(config).default_scope
    if scope in ('mmseg', 'mmpretrain'):
        return scope
    return osp.basename(config).split('_')[0].split('-')[0]


@pytest.mark.parametrize(
    'config', E2E + [pytest.param(c, marks=slow) for c in E2E_SLOW]
)
def test_train_then_test(tmp_path, data, config):
    cfg = write_overlay(tmp_path, config, data)
    work = tmp_path / 'work'
    kind = metric_kind(config)
    env = mmpretrain_env() if kind == 'mmpretrain' else None
    tool('tools/train.py', cfg, '--work-dir', str(work), env=env)
    ckpts = sorted(work.glob('*.pth'))
    assert ckpts, 'training wrote no checkpoint'
    output = tool(
        'tools/test.py',
        cfg,
        str(ckpts[-1]),
        '--work-dir',
        str(work),
        '--out',
        str(tmp_path / 'results.pkl'),
        env=env,
    )
    for pattern in METRICS[kind]:
        assert re.search(pattern, output), output[-3000:]
    assert (tmp_path / 'results.pkl').stat().st_size > 0


@slow
def test_show_dir_saves_visualisations(tmp_path, data):
    cfg = write_overlay(tmp_path, 'fpn_poolformer_s12_ade20k.py', data)
    work = tmp_path / 'work'
    tool('tools/train.py', cfg, '--work-dir', str(work))
    vis = tmp_path / 'vis'
    tool(
        'tools/test.py',
        cfg,
        str(work / 'iter_2.pth'),
        '--work-dir',
        str(work),
        '--show-dir',
        str(vis),
    )
    images = list(vis.rglob('*.png')) + list(vis.rglob('*.jpg'))
    assert len(images) == 2


@slow
def test_ddp_two_processes_gloo(tmp_path, data):
    cfg = write_overlay(tmp_path, 'fpn_poolformer_s12_ade20k.py', data)
    work = tmp_path / 'work'
    output = tool(
        'tools/train.py',
        cfg,
        '--work-dir',
        str(work),
        '--launcher',
        'pytorch',
        launcher='torchrun',
    )
    assert re.search(r'Distributed training: True', output), output[-3000:]
    assert 'GPU number: 2' in output  # mmengine's name for the world size
    assert "type='MMDistributedDataParallel'" in output
    assert (work / 'iter_2.pth').exists()


def read_scalars(work):
    path = sorted(work.glob('*/vis_data/scalars.json'))[-1]
    with open(path) as f:
        return {e['step']: e for e in map(json.loads, f) if 'lr' in e}


@slow
def test_interrupted_training_resumes(tmp_path, data):
    cfg = write_overlay(
        tmp_path, 'fpn_poolformer_s12_ade20k.py', data, iters=4
    )
    full = tmp_path / 'full'
    tool('tools/train.py', cfg, '--work-dir', str(full))
    reference = read_scalars(full)
    # the same run, interrupted after the checkpoint of iteration 2
    work = tmp_path / 'work'
    tool(
        'tools/train.py',
        cfg,
        '--work-dir',
        str(work),
        '--cfg-options',
        'train_cfg.max_iters=2',
    )
    output = tool('tools/train.py', cfg, '--work-dir', str(work), '--resume')
    assert 'resumed epoch: 0, iter: 2' in output, output[-3000:]
    resumed = read_scalars(work)
    assert sorted(resumed) == [3, 4]
    for step in (3, 4):
        assert resumed[step]['lr'] == pytest.approx(reference[step]['lr'])
    assert (work / 'iter_4.pth').exists()


def test_missing_dataset_is_a_clear_error(tmp_path):
    output = tool(
        'tools/train.py',
        osp.join(ROOT, 'configs', 'fpn_poolformer_s12_ade20k.py'),
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        'train_dataloader.dataset.dataset.data_root='
        + str(tmp_path / 'nowhere'),
        check=False,
    )
    assert 'FileNotFoundError: ADE20KDataset for train not found' in output
    assert 'images/{training,validation}' in output
    assert 'make_demo_data.py ade20k' in output
    assert 'ADEChallengeData2016.zip' in output


def upstream_tool(package: str, script: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec(package)
    return osp.join(osp.dirname(spec.origin), '.mim', 'tools', script)


@slow
@pytest.mark.parametrize(
    'package,config',
    [
        ('mmseg', 'fpn_poolformer_s12_ade20k.py'),
        (
            'mmdet',
            'metaformer_baselines/retinanet_caformer_s18_fpn_1x_coco.py',
        ),
    ],
)
def test_safety_nets_hold_under_the_upstream_tools(
    tmp_path, data, package, config
):
    """mmseg's and mmdet's own tools/train.py (what `mim train` runs) build
    the runner the config names, mmmeta.SafeRunner: SyncBN as BN on one
    process, the NaN stop, atomic checkpoints and the data checks hold
    without mmmeta's tools."""
    cfg = write_overlay(tmp_path, config, data)
    work = tmp_path / 'work'
    output = tool(
        upstream_tool(package, 'train.py'), cfg, '--work-dir', str(work)
    )
    assert 'NonFiniteLossHook' in output
    dumped = (work / osp.basename(cfg)).read_text()
    assert "backend='mmmeta_atomic_local'" in dumped
    assert list(work.glob('*.pth'))
    if package == 'mmseg':
        assert 'the SyncBN layers of the config run as BN' in output
        missing = tool(
            upstream_tool(package, 'train.py'),
            cfg,
            '--work-dir',
            str(tmp_path / 'missing'),
            '--cfg-options',
            'train_dataloader.dataset.dataset.'
            f'data_root={tmp_path / "nowhere"}',
            check=False,
        )
        assert 'ADE20KDataset for train not found' in missing
