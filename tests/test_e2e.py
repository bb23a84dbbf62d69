"""The real tools on the real configs, shrunk to a few CPU iterations.

Each run writes a small config that inherits a shipped config and only
points it at generated data and shortens the schedule; the model, optimizer
type and pipelines' transforms are the shipped ones.
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from mmmeta.utils.synthetic_data import ADE20K_CLASSES, COCO_CATEGORIES

pytest.importorskip('mmdet')
pytest.importorskip('mmseg')

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
pytestmark = pytest.mark.slow
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')

SEG_OVERLAY = """
_base_ = [{base!r}]
data_root = {root!r}
metainfo = dict(classes={classes!r})
crop = (64, 64)
model = dict(data_preprocessor=dict(size=crop),
             backbone=dict(init_cfg=None),
             decode_head=dict(num_classes={num_classes}))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmmeta.LoadSegAnnotations', reduce_zero_label=True,
         num_classes={num_classes}),
    dict(type='RandomResize', scale=(192, 64), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(192, 64), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='mmmeta.LoadSegAnnotations', reduce_zero_label=True,
         num_classes={num_classes}),
    dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(dataset=dict(data_root=data_root, metainfo=metainfo,
                              pipeline=train_pipeline)))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end={iters},
                        eta_min=0.0, by_epoch=False)]
train_cfg = dict(max_iters={iters}, val_interval=1000)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2))
"""

DET_OVERLAY = """
_base_ = [{base!r}]
data_root = {root!r}
metainfo = dict(classes={classes!r})
scale = (160, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask={masks}),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask={masks}),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                          'img_shape', 'scale_factor'))]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=data_root + '/annotations/instances_val2017.json')
test_evaluator = val_evaluator
model = dict(backbone=dict(init_cfg=None), {heads})
train_cfg = dict(max_epochs=1, val_interval=1000)
default_hooks = dict(logger=dict(interval=1))
"""


def write_overlay(tmp_path, config, data, iters=2):
    base = osp.join(ROOT, 'configs', config)
    name = osp.basename(config)
    if name.startswith('fpn_'):
        text = SEG_OVERLAY.format(base=base, root=data['ade'],
                                  classes=ADE20K_CLASSES,
                                  num_classes=len(ADE20K_CLASSES),
                                  iters=iters)
    else:
        n = len(COCO_CATEGORIES)
        if name.startswith('retinanet'):
            # an untrained RetinaNet scores below the default 0.05
            heads = f'bbox_head=dict(num_classes={n}), ' \
                    'test_cfg=dict(score_thr=0.0)'
            masks = False
        else:
            heads = (f'roi_head=dict(bbox_head=dict(num_classes={n}), '
                     f'mask_head=dict(num_classes={n}))')
            masks = True
        text = DET_OVERLAY.format(base=base, root=data['coco'],
                                  classes=tuple(c for _, c in
                                                COCO_CATEGORIES),
                                  heads=heads, masks=masks)
    path = tmp_path / f'tiny_{name}'
    path.write_text(text)
    return str(path)


def tool(*args, launcher=None, check=True):
    if launcher == 'torchrun':
        cmd = [sys.executable, '-m', 'torch.distributed.run',
               '--nproc_per_node=2', '--master_port=29533']
    else:
        cmd = [sys.executable]
    result = subprocess.run(cmd + list(args), cwd=ROOT, env=ENV,
                            capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    if check:
        assert result.returncode == 0, output[-6000:]
    return output


METRICS = {
    'fpn': [r'mIoU: [0-9.]+'],
    'retinanet': [r'coco/bbox_mAP: [0-9.]+'],
    'mask': [r'coco/bbox_mAP: [0-9.]+', r'coco/segm_mAP: [0-9.]+'],
}
E2E = [
    'fpn_poolformer_s12_ade20k.py', 'fpn_poolformerv2_s12_ade20k.py',
    'fpn_convformer_s18_ade20k.py', 'fpn_caformer_s18_ade20k.py',
    'retinanet_poolformer_s12_fpn_1x_coco.py',
    'retinanet_poolformerv2_s12_fpn_1x_coco.py',
    'retinanet_convformer_s18_fpn_1x_coco.py',
    'retinanet_caformer_s18_fpn_1x_coco.py',
    'mask_rcnn_poolformer_s12_fpn_1x_coco.py',
    'mask_rcnn_poolformerv2_s12_fpn_1x_coco.py',
    'mask_rcnn_convformer_s18_fpn_1x_coco.py',
    'mask_rcnn_caformer_s18_fpn_1x_coco.py',
    # SyncBN inside the backbone, converted for one CPU process
    'ffnet/fpn_ffnet_1_ade20k.py',
]


@pytest.mark.parametrize('config', E2E)
def test_train_then_test(tmp_path, data, config):
    cfg = write_overlay(tmp_path, config, data)
    work = tmp_path / 'work'
    tool('tools/train.py', cfg, '--work-dir', str(work))
    ckpts = sorted(work.glob('*.pth'))
    assert ckpts, 'training wrote no checkpoint'
    output = tool('tools/test.py', cfg, str(ckpts[-1]), '--work-dir',
                  str(work), '--out', str(tmp_path / 'results.pkl'))
    for pattern in METRICS[osp.basename(config).split('_')[0]]:
        assert re.search(pattern, output), output[-3000:]
    assert (tmp_path / 'results.pkl').stat().st_size > 0


def test_show_dir_saves_visualisations(tmp_path, data):
    cfg = write_overlay(tmp_path, 'fpn_poolformer_s12_ade20k.py', data)
    work = tmp_path / 'work'
    tool('tools/train.py', cfg, '--work-dir', str(work))
    vis = tmp_path / 'vis'
    tool('tools/test.py', cfg, str(work / 'iter_2.pth'), '--work-dir',
         str(work), '--show-dir', str(vis))
    images = list(vis.rglob('*.png')) + list(vis.rglob('*.jpg'))
    assert len(images) == 2


def test_ddp_two_processes_gloo(tmp_path, data):
    cfg = write_overlay(tmp_path, 'fpn_poolformer_s12_ade20k.py', data)
    work = tmp_path / 'work'
    output = tool('tools/train.py', cfg, '--work-dir', str(work),
                  '--launcher', 'pytorch', launcher='torchrun')
    assert re.search(r'Distributed training: True', output), output[-3000:]
    assert 'GPU number: 2' in output  # mmengine's name for the world size
    assert "type='MMDistributedDataParallel'" in output
    assert (work / 'iter_2.pth').exists()


def read_scalars(work):
    path = sorted(work.glob('*/vis_data/scalars.json'))[-1]
    with open(path) as f:
        return {e['step']: e for e in map(json.loads, f) if 'lr' in e}


def test_interrupted_training_resumes(tmp_path, data):
    cfg = write_overlay(tmp_path, 'fpn_poolformer_s12_ade20k.py', data,
                        iters=4)
    full = tmp_path / 'full'
    tool('tools/train.py', cfg, '--work-dir', str(full))
    reference = read_scalars(full)
    # the same run, interrupted after the checkpoint of iteration 2
    work = tmp_path / 'work'
    tool('tools/train.py', cfg, '--work-dir', str(work),
         '--cfg-options', 'train_cfg.max_iters=2')
    output = tool('tools/train.py', cfg, '--work-dir', str(work), '--resume')
    assert 'resumed epoch: 0, iter: 2' in output, output[-3000:]
    resumed = read_scalars(work)
    assert sorted(resumed) == [3, 4]
    for step in (3, 4):
        assert resumed[step]['lr'] == pytest.approx(reference[step]['lr'])
    assert (work / 'iter_4.pth').exists()


def test_missing_dataset_is_a_clear_error(tmp_path):
    output = tool('tools/train.py',
                  osp.join(ROOT, 'configs', 'fpn_poolformer_s12_ade20k.py'),
                  '--work-dir', str(tmp_path), '--cfg-options',
                  'train_dataloader.dataset.dataset.data_root=' +
                  str(tmp_path / 'nowhere'), check=False)
    assert 'FileNotFoundError: ADE20KDataset for train not found' in output
    assert 'images/{training,validation}' in output
    assert 'make_demo_data.py ade20k' in output
    assert 'ADEChallengeData2016.zip' in output
