# Cascade Mask R-CNN + FFNet-2, COCO 3x (36 epochs), 8 GPUs x 2 images.
#
# The official recipe (ysj9909/FFNet, detection/configs/coco/
# casc_mask_rcnn_ffnet_2_fpn_3x_coco.py, mmdet 2.x, itself InternImage's /
# ConvNeXt's) ported to mmdet 3.x by inheriting mmdet's ConvNeXt version of
# it: 4conv1fc GIoU box heads with SyncBN, multi-scale 480-800 training with
# the DETR-style crop branch, lr x0.1 after epochs 27 and 33. Changed as in
# the official config: AdamW lr 1e-4, weight decay 0.05, layer-wise lr decay
# 0.8 over 12 layers (mmmeta's constructor, which understands FFNet), warm-up
# 500 iterations, fp32, drop path 0.35, SyncBN in the backbone.
#
# Published: box AP 51.8, mask AP 44.9 (FFNet detection README; from the
# distillation ImageNet checkpoint).
_base_ = [
    'mmdet::convnext/'
    'cascade-mask-rcnn_convnext-t-p4-w7_fpn_4conv1fc-giou_amp-ms-crop-3x_coco.py',
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    bbox_mAP=51.8,
    segm_mAP=44.9,
    source='ysj9909/FFNet detection README',
    weights='https://github.com/ysj9909/FFNet/releases/download/v1.0/casc_mask_rcnn_ffnet_2_fpn_3x_coco.pth',
)  # noqa
checkpoint_file = 'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_2_distillation.pth.tar'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.FFNet',
        lean=True,  # memory-bound recipe: selective activation checkpointing
        arch='2',
        conv_norm_cfg=dict(type='SyncBN', requires_grad=True),
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.35,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[88, 176, 352, 704]),
)

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500
    ),
    dict(
        type='MultiStepLR',
        begin=0,
        end=36,
        by_epoch=True,
        milestones=[27, 33],
        gamma=0.1,
    ),
]
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='mmmeta.LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.8, decay_type='layer_wise', num_layers=12),
    optimizer=dict(
        type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.05
    ),
)
