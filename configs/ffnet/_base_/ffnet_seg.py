# FFNet-seg, the model and optimisation of the official system-level recipes
# (ysj9909/FFNet, segmentation/configs/{ade20k,cityscapes}/ffnet_seg_*.py):
# the FFNet-seg backbone (stages 2-4) and FFNetHead, SyncBN everywhere;
# AdamW lr 6e-5, weight decay 0.05, the decode head at lr x10, no weight
# decay for norms; linear warm-up over 1500 iterations from 1e-6, then poly
# decay (power 1.0) to 160k iterations; validation and checkpoints every
# 4000 iterations. The dataset configs add the data, the crop size and the class count.
_base_ = [
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
    '../../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)
checkpoint_file = (
    'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_seg.pth.tar'  # noqa
)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=(512, 512),
    ),
    backbone=dict(
        type='mmmeta.FFNet',
        arch='seg',
        conv_norm_cfg=norm_cfg,
        out_indices=(1, 2, 3),
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(
        type='mmmeta.FFNetHead',
        in_channels=[192, 384, 768],
        in_index=[0, 1, 2],
        spatial_ks=9,
        channel_ks=9,
        head_width=256,
        head_depth=3,
        expansion_ratio=4,
        final_expansion_ratio=4,
        channels=1024,
        dropout_ratio=0.1,
        drop_path=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0
        ),
    ),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
find_unused_parameters = True

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-05, betas=(0.9, 0.999), weight_decay=0.05
    ),
    paramwise_cfg=dict(
        custom_keys={
            'pos_block': dict(decay_mult=0.0),
            'norm': dict(decay_mult=0.0),
            'head': dict(lr_mult=10.0),
        }
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
train_cfg = dict(val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
