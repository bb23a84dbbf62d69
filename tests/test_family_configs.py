"""The TransNeXt and FFNet configs: the official recipes field by field, and
one training step of every config (model, optimizer constructor and
parameter groups as shipped) on a tiny generated batch."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from test_configs import plain

from mmmeta.utils import convert_syncbn_to_bn

pytest.importorskip('mmdet')
pytest.importorskip('mmseg')

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'transnext', '*.py')) +
                 glob.glob(osp.join(ROOT, 'configs', 'ffnet', '*.py')))
TRANSNEXT_NO_DECAY = {
    k: dict(decay_mult=0.0)
    for k in ('query_embedding', 'relative_pos_bias_local', 'cpb',
              'temperature', 'norm')
}


def load(name: str) -> Config:
    return Config.fromfile(osp.join(ROOT, 'configs', name))


def test_every_family_config_is_covered():
    names = {osp.basename(p) for p in CONFIGS}
    assert len(names) == 17
    for arch in ('tiny', 'small', 'base'):
        assert f'mask_rcnn_transnext_{arch}_fpn_1x_coco.py' in names
        assert f'upernet_transnext_{arch}_8xb2-160k_ade20k-512x512.py' in \
            names
    for arch in '234':
        assert f'cascade_mask_rcnn_ffnet_{arch}_fpn_3x_coco.py' in names
        assert f'upernet_ffnet_{arch}_8xb2-160k_ade20k-512x512.py' in names


@pytest.mark.parametrize('arch,drop,box,mask', [('tiny', 0.4, 49.9, 44.6),
                                                 ('small', 0.6, 51.1, 45.5),
                                                 ('base', 0.7, 51.7, 45.9)])
def test_transnext_mask_rcnn_official_recipe(arch, drop, box, mask):
    cfg = load(f'transnext/mask_rcnn_transnext_{arch}_fpn_1x_coco.py')
    backbone = cfg.model.backbone
    assert (backbone.type, backbone.arch, backbone.img_size,
            backbone.pretrain_size, backbone.drop_path_rate) == (
                'mmmeta.TransNeXt', arch, 800, 224, drop)
    assert arch in backbone.init_cfg.checkpoint
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(type='AdamW', lr=1e-4,
                                      betas=(0.9, 0.999), weight_decay=0.05)
    assert optim['paramwise_cfg'] == dict(custom_keys=TRANSNEXT_NO_DECAY)
    assert optim.get('clip_grad') is None
    if arch == 'base':
        assert (optim['type'], optim['loss_scale']) == ('AmpOptimWrapper',
                                                        512.0)
    else:
        assert optim['type'] == 'OptimWrapper'
    assert plain(cfg.param_scheduler)[1]['milestones'] == [8, 11]
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.train_dataloader.batch_size == 2
    assert (cfg.published_results.bbox_mAP,
            cfg.published_results.segm_mAP) == (box, mask)


@pytest.mark.parametrize('arch,drop,miou', [('tiny', 0.4, 51.1),
                                            ('small', 0.6, 52.2),
                                            ('base', 0.7, 53.0)])
def test_transnext_upernet_official_recipe(arch, drop, miou):
    cfg = load(f'transnext/upernet_transnext_{arch}_8xb2-160k_ade20k-'
               f'512x512.py')
    backbone = cfg.model.backbone
    assert (backbone.arch, backbone.img_size, backbone.is_extrapolation,
            backbone.drop_path_rate) == (arch, 512, False, drop)
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(type='AdamW', lr=6e-5,
                                      betas=(0.9, 0.999), weight_decay=0.05)
    assert optim['paramwise_cfg'] == dict(custom_keys=TRANSNEXT_NO_DECAY)
    assert plain(cfg.param_scheduler) == [
        dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
             end=1500),
        dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False,
             begin=1500, end=160000),
    ]
    assert cfg.train_cfg.max_iters == 160000
    assert cfg.train_dataloader.batch_size == 2
    assert plain(cfg.model.test_cfg) == dict(mode='slide',
                                             crop_size=(512, 512),
                                             stride=(341, 341))
    assert cfg.model.auxiliary_head.in_index == 2
    assert cfg.published_results.mIoU == miou


@pytest.mark.parametrize('arch,drop,box,mask', [('2', 0.35, 51.8, 44.9),
                                                 ('3', 0.6, 52.8, 45.6),
                                                 ('4', 0.6, 53.4, 45.9)])
def test_ffnet_cascade_official_recipe(arch, drop, box, mask):
    cfg = load(f'ffnet/cascade_mask_rcnn_ffnet_{arch}_fpn_3x_coco.py')
    backbone = cfg.model.backbone
    assert (backbone.arch, backbone.drop_path_rate) == (arch, drop)
    assert plain(backbone.norm_cfg) == dict(type='SyncBN',
                                            requires_grad=True)
    optim = plain(cfg.optim_wrapper)
    assert optim == dict(
        type='OptimWrapper',
        constructor='mmmeta.LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(decay_rate=0.8, decay_type='layer_wise',
                           num_layers=12),
        optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999),
                       weight_decay=0.05))
    assert plain(cfg.param_scheduler)[0]['end'] == 500
    assert plain(cfg.param_scheduler)[1]['milestones'] == [27, 33]
    assert cfg.train_cfg.max_epochs == 36
    heads = cfg.model.roi_head.bbox_head
    assert [h.num_shared_convs for h in heads] == [4, 4, 4]
    assert {h.loss_bbox.type for h in heads} == {'GIoULoss'}
    hooks = [h.type for h in cfg.get('custom_hooks', [])]
    assert ('EMAHook' in hooks) == (arch == '4')
    assert (cfg.published_results.bbox_mAP,
            cfg.published_results.segm_mAP) == (box, mask)


@pytest.mark.parametrize('arch,drop,rate,layers,miou', [
    ('2', 0.2, 1.0, 9, 47.1), ('3', 0.3, 0.9, 12, 49.6),
    ('4', 0.3, 0.9, 12, 50.7)])
def test_ffnet_upernet_official_recipe(arch, drop, rate, layers, miou):
    cfg = load(f'ffnet/upernet_ffnet_{arch}_8xb2-160k_ade20k-512x512.py')
    assert (cfg.model.backbone.arch,
            cfg.model.backbone.drop_path_rate) == (arch, drop)
    optim = plain(cfg.optim_wrapper)
    assert optim['constructor'] == 'mmmeta.LayerDecayOptimWrapperConstructor'
    assert optim['paramwise_cfg'] == dict(decay_rate=rate,
                                          decay_type='layer_wise',
                                          num_layers=layers)
    assert optim['optimizer'] == dict(type='AdamW', lr=1e-4,
                                      betas=(0.9, 0.999), weight_decay=0.05)
    assert plain(cfg.param_scheduler)[1] == dict(
        type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500,
        end=160000)
    steps = [t['type'] for t in cfg.test_dataloader.dataset.pipeline]
    assert steps[:3] == ['LoadImageFromFile', 'Resize', 'ResizeToMultiple']
    assert cfg.model.test_cfg.mode == 'whole'
    assert cfg.published_results.mIoU == miou


# ------------------------------------------------------------ training step
def det_batch(with_mask: bool, hw=(96, 128)):
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    h, w = hw
    boxes = torch.tensor([[10., 12., 60., 70.], [40., 20., 100., 90.]])
    inputs, samples = [], []
    for i in range(2):
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8))
        sample = DetDataSample(metainfo=dict(img_shape=hw, ori_shape=hw,
                                             scale_factor=(1.0, 1.0)))
        gt = InstanceData(bboxes=boxes + 4 * i, labels=torch.tensor([1, 3]))
        if with_mask:
            masks = np.zeros((2, h, w), np.uint8)
            for m, (x0, y0, x1, y1) in zip(masks, gt.bboxes.int().tolist()):
                m[y0:y1, x0:x1] = 1
            gt.masks = BitmapMasks(masks, h, w)
        sample.gt_instances = gt
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def seg_batch(hw=(64, 64)):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    inputs, samples = [], []
    for _ in range(2):
        inputs.append(torch.randint(0, 256, (3, *hw), dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=hw, ori_shape=hw))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 150, (1, *hw)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def few_samples(train_cfg) -> None:
    """Fewer proposals and sampled RoIs (training cost only; the networks
    and losses are the configs')."""
    if isinstance(train_cfg, (list, tuple)):
        for item in train_cfg:
            few_samples(item)
    elif isinstance(train_cfg, dict):
        for key, value in train_cfg.items():
            if key in ('nms_pre', 'max_per_img'):
                train_cfg[key] = min(value, 64)
            elif key == 'num' and 'pos_fraction' in train_cfg:
                train_cfg[key] = min(value, 16)
            else:
                few_samples(value)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_one_training_step(path):
    """The config's own model and optimizer wrapper (constructor, parameter
    groups) take one step on a tiny batch: finite loss, weights move."""
    cfg = Config.fromfile(path)
    convert_syncbn_to_bn(cfg._cfg_dict)  # one CPU process
    cfg.model.backbone.init_cfg = None
    if 'img_size' in cfg.model.backbone:
        # a smaller position-bias grid: same parameters, cheaper CPB table
        cfg.model.backbone.img_size = 224
    segmentation = cfg.default_scope == 'mmseg'
    if segmentation:
        cfg.model.data_preprocessor.size = (64, 64)
    else:
        few_samples(cfg.model.train_cfg)
    optim = cfg.optim_wrapper
    if optim.type == 'AmpOptimWrapper' and not torch.cuda.is_available():
        optim.type = 'OptimWrapper'  # AMP needs a GPU; the recipe is checked
        optim.pop('loss_scale')
    from mmengine.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        model.init_weights()
        wrapper = build_optim_wrapper(model, optim)
    model.train()
    batch = seg_batch() if segmentation else det_batch(
        with_mask='mask' in osp.basename(path))
    watched = model.backbone.stages[2].blocks[0].mlp.fc1.weight
    before = watched.detach().clone()
    log = model.train_step(batch, wrapper)
    assert torch.isfinite(log['loss']), log
    assert not torch.equal(before, watched.detach())
