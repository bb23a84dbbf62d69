"""Every shipped config resolves to the published recipe, field by field."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmmeta.utils import check_neck_channels

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(ROOT, 'configs')
# mmmeta's own recipes: the top-level MetaFormer configs and the same
# recipes with the TransNeXt / FFNet backbones in the family folders (the
# families' official recipes are checked in test_family_configs.py).
SEG = sorted(glob.glob(osp.join(CONFIG_DIR, 'fpn_*_ade20k.py')) +
             glob.glob(osp.join(CONFIG_DIR, '*', 'fpn_*_ade20k.py')))
RETINA = sorted(glob.glob(osp.join(CONFIG_DIR, 'retinanet_*_coco.py')) +
                glob.glob(osp.join(CONFIG_DIR, '*', 'retinanet_*_coco.py')))
MASK = sorted(glob.glob(osp.join(CONFIG_DIR, 'mask_rcnn_*_coco.py')) +
              [osp.join(CONFIG_DIR, 'ffnet',
                        'mask_rcnn_ffnet_1_fpn_1x_coco.py')])
ALL = SEG + RETINA + MASK
ids = osp.basename


def plain(value):
    """A config value as plain dicts/lists, without the ``_scope_`` markers
    that cross-package (``mmseg::``) bases add."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value

pytest.importorskip('mmdet')
pytest.importorskip('mmseg')


@pytest.fixture(scope='module', params=ALL, ids=[ids(p) for p in ALL])
def config(request):
    return request.param, Config.fromfile(request.param)


def test_the_user_config_exists_at_its_path():
    assert osp.isfile(osp.join(CONFIG_DIR, 'fpn_poolformer_s12_ade20k.py'))
    families = {osp.basename(p).split('_')[1] for p in SEG}
    assert {'poolformer', 'poolformerv2', 'convformer', 'caformer',
            'transnext', 'ffnet'} <= families
    assert len(SEG) == 10 and len(RETINA) == 8 and len(MASK) == 7


def test_common(config):
    path, cfg = config
    assert plain(cfg.custom_imports) == dict(imports=['mmmeta'],
                                      allow_failed_imports=False)
    backbone = cfg.model.backbone
    assert backbone.type.startswith('mmmeta.')
    assert backbone.frozen_stages == -1  # the paper: trainable stem
    assert backbone.init_cfg == dict(type='Pretrained',
                                     checkpoint=cfg.checkpoint_file)
    assert cfg.checkpoint_file.startswith('https://')
    assert 'published_results' in cfg and cfg.published_results.source
    check_neck_channels(cfg)  # raises if the neck does not fit
    assert plain(cfg.optim_wrapper.type) == 'OptimWrapper'  # fp32 as published
    assert cfg.optim_wrapper.get('paramwise_cfg') is None
    assert cfg.optim_wrapper.get('clip_grad') is None


# mmseg's LoadAnnotations with checks (mmmeta.LoadSegAnnotations)
LOAD_LABELS = dict(type='mmmeta.LoadSegAnnotations', reduce_zero_label=True,
                   num_classes=150)
SEG_TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    LOAD_LABELS,
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
SEG_TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    LOAD_LABELS,
    dict(type='PackSegInputs'),
]


@pytest.mark.parametrize('path', SEG, ids=[ids(p) for p in SEG])
def test_semantic_fpn_recipe(path):
    cfg = Config.fromfile(path)
    assert plain(cfg.default_scope) == 'mmseg'
    assert plain(cfg.optim_wrapper.optimizer) == dict(type='AdamW', lr=2e-4,
                                               weight_decay=1e-4)
    assert plain(cfg.param_scheduler) == [
        dict(type='PolyLR', power=0.9, begin=0, end=40000, eta_min=0.0,
             by_epoch=False)
    ]
    assert plain(cfg.train_cfg) == dict(
        type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
    loader = cfg.train_dataloader
    assert loader.batch_size == 4  # x 8 GPUs = 32
    assert loader.dataset.type == 'RepeatDataset'
    ade = loader.dataset.dataset
    assert ade.type == 'ADE20KDataset'
    assert ade.data_root == 'data/ade/ADEChallengeData2016'
    assert plain(ade.pipeline) == SEG_TRAIN_PIPELINE
    assert plain(cfg.test_dataloader.dataset.pipeline) == SEG_TEST_PIPELINE
    assert plain(cfg.val_dataloader.dataset.pipeline) == SEG_TEST_PIPELINE
    assert plain(cfg.val_evaluator) == dict(type='IoUMetric',
                                            iou_metrics=['mIoU'])
    model = cfg.model
    assert plain(model.data_preprocessor.size) == (512, 512)
    assert plain(model.decode_head.num_classes) == 150
    assert plain(model.decode_head.norm_cfg.type) == 'SyncBN'
    assert plain(model.backbone.out_indices) == (0, 1, 2, 3)
    assert plain(model.backbone.drop_path_rate) == 0.0


DET_TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]


def check_detection_recipe(cfg, lr):
    assert plain(cfg.default_scope) == 'mmdet'
    assert plain(cfg.optim_wrapper.optimizer) == dict(type='AdamW', lr=lr,
                                               weight_decay=1e-4)
    assert plain(cfg.param_scheduler) == [
        dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
             end=500),
        dict(type='MultiStepLR', begin=0, end=12, by_epoch=True,
             milestones=[8, 11], gamma=0.1),
    ]
    assert plain(cfg.train_cfg.type) == 'EpochBasedTrainLoop'
    assert plain(cfg.train_cfg.max_epochs) == 12
    assert plain(cfg.train_dataloader.batch_size) == 2  # x 8 GPUs = 16
    assert plain(cfg.train_dataloader.dataset.data_root) == 'data/coco/'
    assert plain(cfg.test_dataloader.dataset.pipeline[1]) == dict(
        type='Resize', scale=(1333, 800), keep_ratio=True)


@pytest.mark.parametrize('path', RETINA, ids=[ids(p) for p in RETINA])
def test_retinanet_recipe(path):
    cfg = Config.fromfile(path)
    check_detection_recipe(cfg, lr=1e-4)
    assert plain(cfg.train_dataloader.dataset.pipeline) == DET_TRAIN_PIPELINE
    # sail-sg's FPN(start_level=1) over 4 outputs == this FPN over the 3
    # outputs it uses, without an unused stride-4 output.
    assert plain(cfg.model.backbone.out_indices) == (1, 2, 3)
    neck = cfg.model.neck
    assert (neck.start_level, neck.add_extra_convs, neck.num_outs) == \
        (0, 'on_input', 5)
    strides = cfg.model.bbox_head.anchor_generator.strides
    assert plain(strides) == [8, 16, 32, 64, 128]


@pytest.mark.parametrize('path', MASK, ids=[ids(p) for p in MASK])
def test_mask_rcnn_recipe(path):
    cfg = Config.fromfile(path)
    check_detection_recipe(cfg, lr=2e-4)
    pipeline = [dict(p) for p in DET_TRAIN_PIPELINE]
    pipeline[1] = dict(type='LoadAnnotations', with_bbox=True, with_mask=True)
    assert plain(cfg.train_dataloader.dataset.pipeline) == pipeline
    assert plain(cfg.model.backbone.out_indices) == (0, 1, 2, 3)
    assert [m['metric'] for m in [cfg.val_evaluator]] == [['bbox', 'segm']]


def test_published_numbers_named():
    expected = {
        'fpn_poolformer_s12_ade20k.py': dict(mIoU=37.2),
        'fpn_poolformer_m48_ade20k.py': dict(mIoU=42.7),
        'retinanet_poolformer_s24_fpn_1x_coco.py': dict(bbox_mAP=38.9),
        'mask_rcnn_poolformer_s36_fpn_1x_coco.py': dict(bbox_mAP=41.0,
                                                        segm_mAP=37.7),
        'fpn_caformer_s18_ade20k.py': dict(mIoU=None),
    }
    for name, numbers in expected.items():
        cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
        for key, value in numbers.items():
            assert plain(cfg.published_results[key]) == value, name


def test_neck_mismatch_is_a_clear_error():
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'fpn_poolformer_m36_ade20k.py'))
    cfg.model.neck.in_channels = [64, 128, 320, 512]
    with pytest.raises(ValueError, match=r'in_channels=\[64, 128, 320, 512\] '
                       r'disagrees .*out_channels are \[96, 192, 384, 768\]'):
        check_neck_channels(cfg)
