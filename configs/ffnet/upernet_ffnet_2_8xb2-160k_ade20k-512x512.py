# UperNet + FFNet-2, ADE20K 512x512, 160k iterations, 8 GPUs x 2.
#
# The official recipe (ysj9909/FFNet, segmentation/configs/ade20k/
# upernet_ffnet_2_512_160k_ade20k.py, mmseg 0.x) ported to mmseg 1.x:
# mmseg's stock UperNet + auxiliary FCN head and ADE20K training pipeline;
# AdamW lr 1e-4, weight decay 0.05, linear warm-up over 1500 iterations from
# 1e-6, then poly decay (power 1.0); mmmeta's layer-decay constructor with
# rate 1.0 over 9 layers (no decay, biases and 1-D parameters without weight
# decay); whole-image test resized to a multiple of 32; drop path 0.2;
# SyncBN in the backbone.
#
# Published: mIoU 47.1 single-scale (FFNet segmentation README).
_base_ = [
    'mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py',
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    mIoU=47.1,
    source='ysj9909/FFNet segmentation README',
    weights='https://github.com/ysj9909/FFNet/releases/download/v1.0/upernet_ffnet_2_512_160k_ade20k.pth',
)  # noqa
checkpoint_file = 'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_2_distillation.pth.tar'  # noqa

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmmeta.FFNet',
        arch='2',
        conv_norm_cfg=dict(type='SyncBN', requires_grad=True),
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[88, 176, 352, 704], num_classes=150),
    auxiliary_head=dict(in_channels=352, num_classes=150),
    test_cfg=dict(mode='whole'),
)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='mmmeta.LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=1.0, decay_type='layer_wise', num_layers=9),
    optimizer=dict(
        type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.05
    ),
)
param_scheduler = [
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
