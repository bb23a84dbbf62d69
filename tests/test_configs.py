"""Every shipped config resolves to its published recipe, field by field,
and states the published numbers it reproduces."""

import os.path as osp

import pytest
from support import CONFIG_DIR, all_configs, load_config, plain

import mmmeta.models  # noqa: F401  (the family folders register)
from mmmeta.models.utils.families import backbone_of_prefix
from mmmeta.utils import check_neck_channels

pytest.importorskip('mmdet')
pytest.importorskip('mmseg')

CONFIGS = all_configs()
DENSE = [p for p in CONFIGS if not p.startswith(('classification/', 'demo/'))]
CLASSIFICATION = all_configs('classification')


# ------------------------------------------------------ the shared recipes
# (family, arch, drop path, published numbers) of every config built on
# configs/_base_/{fpn_ade20k_40k,retinanet_1x_coco,mask_rcnn_1x_coco}.py.
# Drop path: 0 for PoolFormer, TransNeXt and FFNet as published for
# PoolFormer; the MetaFormer baselines as their ImageNet recipes scale it.
BASELINE_DROP = {
    'poolformerv2': dict(s12=0.1, s24=0.1, s36=0.2, m36=0.3, m48=0.4),
    'convformer': dict(s18=0.2, s36=0.3, m36=0.4, b36=0.6),
    'caformer': dict(s18=0.15, s36=0.3, m36=0.4, b36=0.6),
}
NAMES = backbone_of_prefix()  # what each family folder declares
POOLFORMER_PUBLISHED = {  # sail-sg/poolformer READMEs
    's12': (37.2, 36.2, (37.3, 34.6)),
    's24': (40.3, 38.9, (40.1, 37.0)),
    's36': (42.0, 39.5, (41.0, 37.7)),
    'm36': (42.4, None, None),
    'm48': (42.7, None, None),
}


def _shared_table():
    table = {}
    for arch, (miou, box, boxmask) in POOLFORMER_PUBLISHED.items():
        table[f'poolformer/fpn_poolformer_{arch}_ade20k.py'] = (
            'poolformer',
            arch,
            0.0,
            dict(mIoU=miou),
        )
        if box is not None:
            table[f'poolformer/retinanet_poolformer_{arch}_fpn_1x_coco.py'] = (
                'poolformer',
                arch,
                0.0,
                dict(bbox_mAP=box),
            )
            table[f'poolformer/mask_rcnn_poolformer_{arch}_fpn_1x_coco.py'] = (
                'poolformer',
                arch,
                0.0,
                dict(bbox_mAP=boxmask[0], segm_mAP=boxmask[1]),
            )
    for family, drops in BASELINE_DROP.items():
        for arch, drop in drops.items():
            folder = 'metaformer_baselines'
            table[f'{folder}/fpn_{family}_{arch}_ade20k.py'] = (
                family,
                arch,
                drop,
                dict(mIoU=None),
            )
            table[f'{folder}/retinanet_{family}_{arch}_fpn_1x_coco.py'] = (
                family,
                arch,
                drop,
                dict(bbox_mAP=None),
            )
            table[f'{folder}/mask_rcnn_{family}_{arch}_fpn_1x_coco.py'] = (
                family,
                arch,
                drop,
                dict(bbox_mAP=None, segm_mAP=None),
            )
    table['transnext/fpn_transnext_tiny_ade20k.py'] = (
        'transnext',
        'tiny',
        0.0,
        dict(mIoU=None),
    )
    table['transnext/retinanet_transnext_tiny_fpn_1x_coco.py'] = (
        'transnext',
        'tiny',
        0.0,
        dict(bbox_mAP=None),
    )
    for kind, published in (
        ('fpn_ffnet_1_ade20k.py', dict(mIoU=None)),
        ('retinanet_ffnet_1_fpn_1x_coco.py', dict(bbox_mAP=None)),
        (
            'mask_rcnn_ffnet_1_fpn_1x_coco.py',
            dict(bbox_mAP=None, segm_mAP=None),
        ),
    ):
        table[f'ffnet/{kind}'] = ('ffnet', '1', 0.0, published)
    # InceptionNeXt-T's Semantic FPN is the paper's (its FPN table: 43.1).
    for family, drop, fpn_miou in (
        ('inceptionnext', 0.1, 43.1),
        ('mambaout', 0.2, None),
    ):
        kinds = [
            ('fpn_{}_tiny_ade20k.py', dict(mIoU=fpn_miou)),
            ('retinanet_{}_tiny_fpn_1x_coco.py', dict(bbox_mAP=None)),
        ]
        if family == 'inceptionnext':  # MambaOut-Tiny has the paper's
            kinds.append(
                (
                    'mask_rcnn_{}_tiny_fpn_1x_coco.py',
                    dict(bbox_mAP=None, segm_mAP=None),
                )
            )
        for kind, published in kinds:
            table[f'{family}/{kind.format(family)}'] = (
                family,
                'tiny',
                drop,
                published,
            )
    table['fpn_poolformer_s12_ade20k.py'] = table[
        'poolformer/fpn_poolformer_s12_ade20k.py'
    ]
    return table


SHARED = _shared_table()
SHARED_IDS = list(SHARED)


def test_every_config_is_checked_by_a_recipe_test():
    assert {p for p in DENSE if p not in SHARED} == set(OFFICIAL)
    assert set(CLASSIFICATION) == set(CLASSIFIERS)
    assert osp.isfile(osp.join(CONFIG_DIR, 'fpn_poolformer_s12_ade20k.py'))


@pytest.mark.parametrize('path', CONFIGS)
def test_common(path):
    cfg = load_config(path)
    assert plain(cfg.custom_imports) == dict(
        imports=['mmmeta'], allow_failed_imports=False
    )
    assert cfg.runner_type == 'mmmeta.SafeRunner'
    backbone = cfg.model.backbone
    assert backbone.type.startswith('mmmeta.')
    # selective activation checkpointing in the memory-bound recipes only
    # (docs/training.md "Training memory"); the rest train with plain autograd
    memory_bound = any(
        kind in path
        for kind in ('upernet_transnext', 'mask2former', 'dino', 'cascade')
    )
    assert backbone.get('lean', False) is memory_bound, path
    if path.startswith('demo/'):
        return
    assert 'published_results' in cfg and cfg.published_results.source
    assert cfg.checkpoint_file.startswith('https://')
    check_neck_channels(cfg)  # raises if the neck does not fit
    if not path.startswith('classification/'):
        assert backbone.init_cfg == dict(
            type='Pretrained', checkpoint=cfg.checkpoint_file
        )


# mmseg's LoadAnnotations with checks (mmmeta.LoadSegAnnotations)
LOAD_LABELS = dict(
    type='mmmeta.LoadSegAnnotations', reduce_zero_label=True, num_classes=150
)
SEG_TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    LOAD_LABELS,
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True,
    ),
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
DET_TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]


def check_detection_schedule(cfg, lr):
    assert plain(cfg.default_scope) == 'mmdet'
    assert plain(cfg.optim_wrapper) == dict(
        type='OptimWrapper',
        optimizer=dict(type='AdamW', lr=lr, weight_decay=1e-4),
    )
    assert plain(cfg.param_scheduler) == [
        dict(
            type='LinearLR',
            start_factor=0.001,
            by_epoch=False,
            begin=0,
            end=500,
        ),
        dict(
            type='MultiStepLR',
            begin=0,
            end=12,
            by_epoch=True,
            milestones=[8, 11],
            gamma=0.1,
        ),
    ]
    assert plain(cfg.train_cfg.type) == 'EpochBasedTrainLoop'
    assert plain(cfg.train_cfg.max_epochs) == 12
    assert plain(cfg.train_dataloader.batch_size) == 2  # x 8 GPUs = 16
    assert plain(cfg.train_dataloader.dataset.data_root) == 'data/coco/'
    assert plain(cfg.test_dataloader.dataset.pipeline[1]) == dict(
        type='Resize', scale=(1333, 800), keep_ratio=True
    )


@pytest.mark.parametrize('path', SHARED_IDS)
def test_shared_recipe(path):
    """The PoolFormer paper's Semantic FPN / RetinaNet / Mask R-CNN recipe
    with each family's backbone, size, drop path and published numbers."""
    family, arch, drop, published = SHARED[path]
    cfg = load_config(path)
    backbone = cfg.model.backbone
    assert (backbone.type, backbone.arch) == (f'mmmeta.{NAMES[family]}', arch)
    assert backbone.drop_path_rate == drop
    assert backbone.frozen_stages == -1  # the paper: trainable stem
    assert plain(cfg.published_results) == dict(
        published, source=cfg.published_results.source
    )
    name = osp.basename(path)
    if name.startswith('fpn_'):
        assert plain(cfg.default_scope) == 'mmseg'
        assert plain(cfg.optim_wrapper) == dict(
            type='OptimWrapper',
            optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
        )
        assert plain(cfg.param_scheduler) == [
            dict(
                type='PolyLR',
                power=0.9,
                begin=0,
                end=40000,
                eta_min=0.0,
                by_epoch=False,
            )
        ]
        assert plain(cfg.train_cfg) == dict(
            type='IterBasedTrainLoop', max_iters=40000, val_interval=4000
        )
        loader = cfg.train_dataloader
        assert loader.batch_size == 4  # x 8 GPUs = 32
        assert loader.dataset.type == 'RepeatDataset'
        ade = loader.dataset.dataset
        assert (ade.type, ade.data_root) == (
            'ADE20KDataset',
            'data/ade/ADEChallengeData2016',
        )
        assert plain(ade.pipeline) == SEG_TRAIN_PIPELINE
        assert plain(cfg.test_dataloader.dataset.pipeline) == SEG_TEST_PIPELINE
        assert plain(cfg.val_dataloader.dataset.pipeline) == SEG_TEST_PIPELINE
        assert plain(cfg.val_evaluator) == dict(
            type='IoUMetric', iou_metrics=['mIoU']
        )
        model = cfg.model
        assert plain(model.data_preprocessor.size) == (512, 512)
        assert plain(model.decode_head.num_classes) == 150
        assert plain(model.decode_head.norm_cfg.type) == 'SyncBN'
        assert plain(backbone.out_indices) == (0, 1, 2, 3)
    elif name.startswith('retinanet_'):
        check_detection_schedule(cfg, lr=1e-4)
        assert (
            plain(cfg.train_dataloader.dataset.pipeline) == DET_TRAIN_PIPELINE
        )
        # sail-sg's FPN(start_level=1) over 4 outputs == this FPN over the 3
        # outputs it uses, without an unused stride-4 output.
        assert plain(backbone.out_indices) == (1, 2, 3)
        neck = cfg.model.neck
        assert (neck.start_level, neck.add_extra_convs, neck.num_outs) == (
            0,
            'on_input',
            5,
        )
        assert plain(cfg.model.bbox_head.anchor_generator.strides) == [
            8,
            16,
            32,
            64,
            128,
        ]
    else:
        check_detection_schedule(cfg, lr=2e-4)
        pipeline = [dict(p) for p in DET_TRAIN_PIPELINE]
        pipeline[1] = dict(
            type='LoadAnnotations', with_bbox=True, with_mask=True
        )
        assert plain(cfg.train_dataloader.dataset.pipeline) == pipeline
        assert plain(backbone.out_indices) == (0, 1, 2, 3)
        assert plain(cfg.val_evaluator.metric) == ['bbox', 'segm']


def test_neck_mismatch_is_a_clear_error():
    cfg = load_config('poolformer/fpn_poolformer_m36_ade20k.py')
    cfg.model.neck.in_channels = [64, 128, 320, 512]
    with pytest.raises(
        ValueError,
        match=r'in_channels=\[64, 128, 320, 512\] '
        r'disagrees .*out_channels are \[96, 192, 384, 768\]',
    ):
        check_neck_channels(cfg)


# -------------------------------------------------- the families' own ones
TRANSNEXT_NO_DECAY = {
    k: dict(decay_mult=0.0)
    for k in (
        'query_embedding',
        'relative_pos_bias_local',
        'cpb',
        'temperature',
        'norm',
    )
}


WARMUP_THEN_POLY = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500
    ),
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        by_epoch=False,
        begin=1500,
        end=160000,
    ),
]


def check_transnext_mask_rcnn(cfg, arch, drop, box, mask):
    backbone = cfg.model.backbone
    assert (
        backbone.type,
        backbone.arch,
        backbone.img_size,
        backbone.pretrain_size,
        backbone.drop_path_rate,
    ) == ('mmmeta.TransNeXt', arch, 800, 224, drop)
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05
    )
    assert optim['paramwise_cfg'] == dict(custom_keys=TRANSNEXT_NO_DECAY)
    assert optim.get('clip_grad') is None
    if arch == 'base':
        assert (optim['type'], optim['loss_scale']) == (
            'AmpOptimWrapper',
            512.0,
        )
    else:
        assert optim['type'] == 'OptimWrapper'
    assert plain(cfg.param_scheduler)[1]['milestones'] == [8, 11]
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.train_dataloader.batch_size == 2
    assert (
        cfg.published_results.bbox_mAP,
        cfg.published_results.segm_mAP,
    ) == (box, mask)


def check_transnext_upernet(cfg, arch, drop, miou):
    backbone = cfg.model.backbone
    assert (
        backbone.arch,
        backbone.img_size,
        backbone.is_extrapolation,
        backbone.drop_path_rate,
    ) == (arch, 512, False, drop)
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.05
    )
    assert optim['paramwise_cfg'] == dict(custom_keys=TRANSNEXT_NO_DECAY)
    assert plain(cfg.param_scheduler) == WARMUP_THEN_POLY
    assert cfg.train_cfg.max_iters == 160000
    assert cfg.train_dataloader.batch_size == 2
    assert plain(cfg.model.test_cfg) == dict(
        mode='slide', crop_size=(512, 512), stride=(341, 341)
    )
    assert cfg.model.auxiliary_head.in_index == 2
    assert cfg.published_results.mIoU == miou


def check_transnext_dino(cfg, arch, scales, drop, box):
    backbone = cfg.model.backbone
    out_indices = (1, 2, 3) if scales == 4 else (0, 1, 2, 3)
    assert (
        backbone.type,
        backbone.arch,
        backbone.img_size,
        backbone.pretrain_size,
        backbone.drop_path_rate,
        plain(backbone.out_indices),
    ) == ('mmmeta.TransNeXt', arch, 800, 224, drop, out_indices)
    model = cfg.model
    assert model.type == 'DINO' and model.num_feature_levels == scales
    assert (model.neck.type, model.neck.num_outs) == ('ChannelMapper', scales)
    assert model.encoder.layer_cfg.self_attn_cfg.num_levels == scales
    assert model.decoder.layer_cfg.cross_attn_cfg.num_levels == scales
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05
    )
    assert optim['clip_grad'] == dict(max_norm=0.1, norm_type=2)
    assert optim['accumulative_counts'] == 2
    assert cfg.train_dataloader.batch_size == 1  # x 2 accumulated x 8
    paramwise = optim['paramwise_cfg']
    assert (
        paramwise['bias_decay_mult'],
        paramwise['norm_decay_mult'],
        paramwise['flat_decay_mult'],
    ) == (0.0, 0.0, 0.0)
    assert 'backbone' not in paramwise['custom_keys']  # mmdet's key is gone
    assert cfg.train_cfg.max_epochs == 12
    assert plain(cfg.param_scheduler) == [
        dict(
            type='MultiStepLR',
            begin=0,
            end=12,
            by_epoch=True,
            milestones=[11],
            gamma=0.1,
        )
    ]
    assert cfg.published_results.bbox_mAP == box


def check_transnext_mask2former(cfg, arch, drop, miou):
    backbone = cfg.model.backbone
    assert (
        backbone.arch,
        backbone.img_size,
        backbone.pretrain_size,
        backbone.drop_path_rate,
    ) == (arch, 512, 224, drop)
    assert cfg.model.decode_head.type == 'Mask2FormerHead'
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(
        type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)
    )
    assert optim['clip_grad'] == dict(max_norm=0.01, norm_type=2)
    keys = optim['paramwise_cfg']['custom_keys']
    assert 'backbone' not in keys  # mmseg's key is replaced
    assert keys['decode_head.query_embed'] == dict(lr_mult=1.0, decay_mult=0.0)
    assert plain(cfg.param_scheduler) == [
        dict(
            type='PolyLR',
            eta_min=0,
            power=0.9,
            begin=0,
            end=160000,
            by_epoch=False,
        )
    ]
    assert cfg.train_dataloader.batch_size == 2
    assert plain(cfg.model.data_preprocessor.test_cfg) == dict(size_divisor=32)
    assert cfg.published_results.mIoU == miou


def check_ffnet_cascade(cfg, arch, drop, box, mask):
    backbone = cfg.model.backbone
    assert (backbone.arch, backbone.drop_path_rate) == (arch, drop)
    assert plain(backbone.conv_norm_cfg) == dict(
        type='SyncBN', requires_grad=True
    )
    assert plain(cfg.optim_wrapper) == dict(
        type='OptimWrapper',
        constructor='mmmeta.LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(
            decay_rate=0.8, decay_type='layer_wise', num_layers=12
        ),
        optimizer=dict(
            type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05
        ),
    )
    assert plain(cfg.param_scheduler)[0]['end'] == 500
    assert plain(cfg.param_scheduler)[1]['milestones'] == [27, 33]
    assert cfg.train_cfg.max_epochs == 36
    heads = cfg.model.roi_head.bbox_head
    assert [h.num_shared_convs for h in heads] == [4, 4, 4]
    assert {h.loss_bbox.type for h in heads} == {'GIoULoss'}
    hooks = [h.type for h in cfg.get('custom_hooks', [])]
    assert ('EMAHook' in hooks) == (arch == '4')
    assert (
        cfg.published_results.bbox_mAP,
        cfg.published_results.segm_mAP,
    ) == (box, mask)


def check_ffnet_upernet(cfg, arch, drop, rate, layers, miou):
    assert (cfg.model.backbone.arch, cfg.model.backbone.drop_path_rate) == (
        arch,
        drop,
    )
    optim = plain(cfg.optim_wrapper)
    assert optim['constructor'] == 'mmmeta.LayerDecayOptimWrapperConstructor'
    assert optim['paramwise_cfg'] == dict(
        decay_rate=rate, decay_type='layer_wise', num_layers=layers
    )
    assert optim['optimizer'] == dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05
    )
    assert plain(cfg.param_scheduler)[1] == dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        by_epoch=False,
        begin=1500,
        end=160000,
    )
    steps = [t['type'] for t in cfg.test_dataloader.dataset.pipeline]
    assert steps[:3] == ['LoadImageFromFile', 'Resize', 'ResizeToMultiple']
    assert cfg.model.test_cfg.mode == 'whole'
    assert cfg.published_results.mIoU == miou


def check_ffnet_seg(cfg, dataset, drop, head, decay, test_cfg, miou):
    backbone = cfg.model.backbone
    assert (
        backbone.type,
        backbone.arch,
        plain(backbone.out_indices),
        backbone.drop_path_rate,
    ) == ('mmmeta.FFNet', 'seg', (1, 2, 3), drop)
    assert plain(backbone.conv_norm_cfg) == dict(
        type='SyncBN', requires_grad=True
    )
    decode = cfg.model.decode_head
    assert decode.type == 'mmmeta.FFNetHead'
    assert (
        decode.spatial_ks,
        decode.channel_ks,
        decode.head_width,
        decode.head_depth,
        decode.expansion_ratio,
        decode.final_expansion_ratio,
        decode.channels,
        decode.drop_path,
        decode.num_classes,
    ) == head
    assert plain(decode.in_channels) == [192, 384, 768]
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=decay
    )
    assert optim['paramwise_cfg'] == dict(
        custom_keys={
            'pos_block': dict(decay_mult=0.0),
            'norm': dict(decay_mult=0.0),
            'head': dict(lr_mult=10.0),
        }
    )
    assert plain(cfg.param_scheduler) == WARMUP_THEN_POLY
    assert (cfg.train_cfg.max_iters, cfg.train_cfg.val_interval) == (
        160000,
        4000,
    )
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.find_unused_parameters is True
    datasets = [
        cfg.train_dataloader.dataset,
        cfg.train_dataloader.dataset.get('dataset', {}),
    ]
    assert dataset in [d.get('type') for d in datasets]
    assert plain(cfg.model.test_cfg) == test_cfg
    assert cfg.published_results.mIoU == miou


def check_swin_upernet(cfg, family, arch, drop, lr, miou):
    """Swin's UperNet recipe (mmseg's), the backbone swapped: InceptionNeXt as
    its paper states it (Sec. 4.2, Table 10), MambaOut at lr 1e-4
    (yuweihao/MambaOut#251)."""
    backbone = cfg.model.backbone
    assert (backbone.type, backbone.arch, backbone.drop_path_rate) == (
        f'mmmeta.{family}',
        arch,
        drop,
    )
    assert 'out_norm_cfg' not in backbone  # its LayerNorm on every output
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(
        type='AdamW', lr=lr, betas=(0.9, 0.999), weight_decay=0.01
    )
    assert 'constructor' not in optim  # no layer-wise decay
    assert plain(cfg.param_scheduler) == WARMUP_THEN_POLY
    assert cfg.train_cfg.max_iters == 160000
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.published_results.mIoU == miou


def check_mambaout_mask_rcnn(cfg, arch, drop, boxmask):
    """Swin's Mask R-CNN 1x recipe."""
    backbone = cfg.model.backbone
    assert (backbone.type, backbone.arch, backbone.drop_path_rate) == (
        'mmmeta.MambaOut',
        arch,
        drop,
    )
    optim = plain(cfg.optim_wrapper)
    assert optim['optimizer'] == dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05
    )
    assert optim['paramwise_cfg']['custom_keys']['norm'] == dict(
        decay_mult=0.0
    )
    assert cfg.train_cfg.max_epochs == 12
    assert plain(cfg.param_scheduler)[1]['milestones'] == [8, 11]
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.model.neck.in_channels == list(backbone_dims(cfg))
    assert (
        cfg.published_results.bbox_mAP,
        cfg.published_results.segm_mAP,
    ) == boxmask


def backbone_dims(cfg):
    from mmmeta.models import MambaOut

    return MambaOut.arch_zoo[cfg.model.backbone.arch]['dims']


OFFICIAL = {
    **{
        f'{family.lower()}/upernet_{family.lower()}_{arch}_8xb2-160k_ade20k-'
        '512x512.py': (check_swin_upernet, family, arch, drop, lr, miou)
        for family, lr, rows in (
            (
                'InceptionNeXt',
                6e-5,
                (
                    ('tiny', 0.2, 47.9),
                    ('small', 0.3, 50.0),
                    ('base', 0.4, 50.6),
                ),
            ),
            (
                'MambaOut',
                1e-4,
                (
                    ('tiny', 0.3, 47.4),
                    ('small', 0.3, 49.5),
                    ('base', 0.6, 49.6),
                ),
            ),
        )
        for arch, drop, miou in rows
    },
    **{
        f'mambaout/mask_rcnn_mambaout_{arch}_fpn_1x_coco.py': (
            check_mambaout_mask_rcnn,
            arch,
            drop,
            boxmask,
        )
        for arch, drop, boxmask in (
            ('tiny', 0.3, (45.1, 41.0)),
            ('small', 0.3, (47.4, 42.7)),
            ('base', 0.6, (47.4, 43.0)),
        )
    },
    **{
        f'transnext/mask_rcnn_transnext_{arch}_fpn_1x_coco.py': (
            check_transnext_mask_rcnn,
            arch,
            drop,
            box,
            mask,
        )
        for arch, drop, box, mask in (
            ('tiny', 0.4, 49.9, 44.6),
            ('small', 0.6, 51.1, 45.5),
            ('base', 0.7, 51.7, 45.9),
        )
    },
    **{
        f'transnext/upernet_transnext_{arch}_8xb2-160k_ade20k-512x512.py': (
            check_transnext_upernet,
            arch,
            drop,
            miou,
        )
        for arch, drop, miou in (
            ('tiny', 0.4, 51.1),
            ('small', 0.6, 52.2),
            ('base', 0.7, 53.0),
        )
    },
    'transnext/dino-4scale_transnext_tiny-12e_coco.py': (
        check_transnext_dino,
        'tiny',
        4,
        0.3,
        55.1,
    ),
    **{
        f'transnext/dino-5scale_transnext_{arch}-12e_coco.py': (
            check_transnext_dino,
            arch,
            5,
            drop,
            box,
        )
        for arch, drop, box in (
            ('tiny', 0.3, 55.7),
            ('small', 0.5, 56.6),
            ('base', 0.6, 57.1),
        )
    },
    **{
        'transnext/mask2former_transnext_'
        f'{arch}_8xb2-160k_ade20k-512x512.py': (
            check_transnext_mask2former,
            arch,
            drop,
            miou,
        )
        for arch, drop, miou in (
            ('tiny', 0.3, 53.4),
            ('small', 0.5, 54.1),
            ('base', 0.6, 54.7),
        )
    },
    **{
        f'ffnet/cascade_mask_rcnn_ffnet_{arch}_fpn_3x_coco.py': (
            check_ffnet_cascade,
            arch,
            drop,
            box,
            mask,
        )
        for arch, drop, box, mask in (
            ('2', 0.35, 51.8, 44.9),
            ('3', 0.6, 52.8, 45.6),
            ('4', 0.6, 53.4, 45.9),
        )
    },
    **{
        f'ffnet/upernet_ffnet_{arch}_8xb2-160k_ade20k-512x512.py': (
            check_ffnet_upernet,
            arch,
            drop,
            rate,
            layers,
            miou,
        )
        for arch, drop, rate, layers, miou in (
            ('2', 0.2, 1.0, 9, 47.1),
            ('3', 0.3, 0.9, 12, 49.6),
            ('4', 0.3, 0.9, 12, 50.7),
        )
    },
    'ffnet/ffnet-seg_8xb2-160k_ade20k-512x512.py': (
        check_ffnet_seg,
        'ADE20KDataset',
        0.3,
        (9, 9, 256, 3, 4, 4, 1024, 0.1, 150),
        0.05,
        dict(mode='whole'),
        50.1,
    ),
    'ffnet/ffnet-seg_8xb2-160k_cityscapes-1024x1024.py': (
        check_ffnet_seg,
        'CityscapesDataset',
        0.35,
        (9, 9, 256, 5, 1, 4, 1024, 0.0, 19),
        0.02,
        dict(mode='slide', crop_size=(1024, 1024), stride=(768, 768)),
        83.2,
    ),
}


@pytest.mark.parametrize('path', list(OFFICIAL))
def test_official_recipe(path):
    check, *expected = OFFICIAL[path]
    check(load_config(path), *expected)


# ---------------------------------------------------------- classification
def _classifiers():
    table = {}
    v1 = dict(
        s12=(512, 0.1, 77.2, 248),
        s24=(512, 0.1, 80.3, 248),
        s36=(512, 0.2, 81.4, 248),
        m36=(768, 0.3, 82.1, 236),
        m48=(768, 0.4, 82.5, 236),
    )
    for arch, (dim, drop, top1, resize) in v1.items():
        table[f'poolformer_{arch}_in1k.py'] = (
            'PoolFormer',
            arch,
            dim,
            drop,
            top1,
            (resize, 224),
            'gap',
        )
    baselines = {
        'identityformer': (74.6, 78.2, 79.3, 80.0, 80.4),
        'randformer': (76.6, 78.2, 79.5, 81.2, 81.4),
        'poolformerv2': (78.0, 80.7, 81.6, 82.2, 82.6),
    }
    for family, top1s in baselines.items():
        drops = (0.1, 0.1, 0.2, 0.3, 0.3 if family == 'randformer' else 0.4)
        for arch, top1, drop in zip(
            ('s12', 's24', 's36', 'm36', 'm48'), top1s, drops
        ):
            dim = 512 if arch[0] == 's' else 768
            table[f'{family}_{arch}_in1k.py'] = (
                NAMES.get(
                    family, family.capitalize().replace('former', 'Former')
                ),
                arch,
                dim,
                drop,
                top1,
                (224, 224),
                'pool-norm',
            )
    conv = {
        'convformer': dict(
            s18=(512, 0.2, 83.0, 84.4),
            s36=(512, 0.3, 84.1, 85.4),
            m36=(576, 0.4, 84.5, 85.6),
            b36=(768, 0.6, 84.8, 85.7),
        ),
        'caformer': dict(
            s18=(512, 0.15, 83.6, 85.0),
            s36=(512, 0.3, 84.5, 85.7),
            m36=(576, 0.4, 85.2, 86.2),
            b36=(768, 0.6, 85.5, 86.4),
        ),
    }
    for family, sizes in conv.items():
        for arch, (dim, drop, top1, top1_384) in sizes.items():
            table[f'{family}_{arch}_in1k.py'] = (
                NAMES[family],
                arch,
                dim,
                drop,
                top1,
                (224, 224),
                'mlp',
            )
            table[f'{family}_{arch}_in1k-384px.py'] = (
                NAMES[family],
                arch,
                dim,
                drop,
                top1_384,
                (384, 384),
                'mlp',
            )
    for arch, dim, drop, top1 in (
        ('micro', 384, 0.15, 82.5),
        ('tiny', 576, 0.25, 84.0),
        ('small', 576, 0.45, 84.7),
        ('base', 768, 0.6, 84.8),
    ):
        table[f'transnext_{arch}_in1k.py'] = (
            'TransNeXt',
            arch,
            dim,
            drop,
            top1,
            (256, 224),
            'gap',
        )
    for arch, dim, drop, top1 in (
        ('small', 576, 0.7, 86.0),
        ('base', 768, 0.8, 86.2),
    ):
        table[f'transnext_{arch}_in1k-384px.py'] = (
            'TransNeXt',
            arch,
            dim,
            drop,
            top1,
            ((384, 384), None),
            'gap',
        )
    for name, arch, dim, drop, top1, test in (
        ('ffnet_1_in1k.py', '1', 640, 0.1, 81.3, (284, 256)),
        ('ffnet_2_in1k.py', '2', 704, 0.15, 82.9, (284, 256)),
        ('ffnet_3_in1k.py', '3', 768, 0.35, 83.9, (269, 256)),
        ('ffnet_3_in1k-384px.py', '3', 768, 0.35, 84.5, (404, 384)),
        ('ffnet_4_in1k-384px.py', '4', 1024, 0.5, 85.3, (404, 384)),
    ):
        table[name] = ('FFNet', arch, dim, drop, top1, test, 'bn-gap')
    gelu_mlp = {  # family: (eval resize, head, rows), from the READMEs
        'InceptionNeXt': (
            256,
            'gelu-mlp-3x',
            [
                ('atto', 320, 0.1, 75.3),
                ('tiny', 768, 0.1, 82.3),
                ('small', 768, 0.3, 83.5),
                ('base', 1024, 0.4, 84.0),
            ],
        ),
        'MambaOut': (
            224,
            'gelu-mlp-4x',
            [
                ('femto', 288, 0.025, 78.9),
                ('kobe', 288, 0.025, 80.0),
                ('tiny', 576, 0.2, 82.7),
                ('small', 576, 0.4, 84.1),
                ('base', 768, 0.6, 84.2),
            ],
        ),
    }
    for family, (resize, head, rows) in gelu_mlp.items():
        for arch, dim, drop, top1 in rows:
            name = f'{family.lower()}_{arch}_in1k.py'
            table[name] = (family, arch, dim, drop, top1, (resize, 224), head)
    return {f'classification/{k}': v for k, v in table.items()}


CLASSIFIERS = _classifiers()


@pytest.mark.parametrize('path', list(CLASSIFIERS))
def test_classifier_recipe(path):
    """The official classifier head of each family and its evaluation
    pipeline (resize, crop) at the published top-1."""
    family, arch, dim, drop, top1, (resize, crop), head = CLASSIFIERS[path]
    cfg = load_config(path)
    model = cfg.model
    assert plain(cfg.default_scope) == 'mmpretrain'
    assert model.type == 'mmmeta.ImageClassifier'
    backbone = model.backbone
    assert (
        backbone.type,
        backbone.arch,
        plain(backbone.out_indices),
        backbone.drop_path_rate,
    ) == (f'mmmeta.{family}', arch, (3,), drop)
    assert model.head.type == 'LinearClsHead'
    assert model.head.num_classes == 1000
    if head == 'mlp':
        assert backbone.gap_before_out_norm
        assert (
            model.neck.type,
            model.neck.in_channels,
            model.neck.hidden_channels,
        ) == ('mmmeta.MlpPreLogits', dim, 4 * dim)
        assert model.head.in_channels == 4 * dim
    elif head.startswith('gelu-mlp-'):  # InceptionNeXt's and MambaOut's
        ratio = int(head[-2])
        assert backbone.gap_before_out_norm
        assert (
            model.neck.type,
            model.neck.in_channels,
            model.neck.hidden_channels,
            model.neck.act_cfg,
            model.neck.norm_eps,
        ) == ('mmmeta.MlpPreLogits', dim, ratio * dim, dict(type='GELU'), 1e-6)
        assert model.head.in_channels == ratio * dim
        # InceptionNeXt's head has no norm before its first linear
        assert ('out_norm_cfg' in backbone) == (family == 'InceptionNeXt')
    elif head == 'pool-norm':
        assert backbone.gap_before_out_norm and model.neck is None
        assert model.head.in_channels == dim
    else:
        assert model.neck.type == 'GlobalAveragePooling'
        assert model.head.in_channels == dim
    if head == 'bn-gap':
        assert backbone.out_norm_cfg == dict(type='BatchNormNHWC')
    if family == 'TransNeXt':
        size = 384 if '384' in path else 224
        assert (backbone.img_size, backbone.pretrain_size) == (size, 224)
    steps = plain(cfg.test_dataloader.dataset.pipeline)
    if crop is None:  # warped to a square, no crop
        assert steps[1] == dict(
            type='Resize',
            scale=resize,
            backend='pillow',
            interpolation='bicubic',
        )
    else:
        assert steps[1] == dict(
            type='ResizeEdge',
            scale=resize,
            edge='short',
            backend='pillow',
            interpolation='bicubic',
        )
        assert steps[2] == dict(type='CenterCrop', crop_size=crop)
    assert cfg.published_results.top1 == top1
