# Semantic FPN, ADE20K 512x512, 40k iterations, 8 GPUs x 4: the recipe of
# the PoolFormer paper (sail-sg/poolformer, segmentation/), shared by every
# family's Semantic FPN config. A family config sets the backbone (type,
# arch, drop path, init_cfg) and neck.in_channels.
#
# AdamW lr 2e-4, weight decay 1e-4, poly lr (power 0.9, to 0), fp32,
# trainable stem, random resize (2048, 512) x [0.5, 2] + crop 512 with
# cat_max_ratio 0.75, test at (2048, 512) keeping the ratio and resized to a
# multiple of 32 (Resize + ResizeToMultiple, the mmseg form of AlignResize).
# Everything except the backbone, the optimizer wrapper and the label
# loading comes from mmsegmentation's own PoolFormer config.
#
# mmsegmentation's variant of this recipe is one flag away:
#   AMP:          tools/train.py CONFIG --amp
#   frozen stem:  --cfg-options model.backbone.frozen_stages=0
_base_ = [
    'mmseg::poolformer/fpn_poolformer_s12_8xb4-40k_ade20k-512x512.py',
    './mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.MetaFormer',  # set by the family config
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        drop_path_rate=0.0,
    )
)

# mmseg's pipelines, with its LoadAnnotations replaced by
# mmmeta.LoadSegAnnotations: the same for valid label maps, and for broken
# ones (16-bit values, labels outside the 150 classes) a warning naming the
# file and ignored pixels instead of silent wrap-around or a crash in the
# loss.
load_labels = dict(
    type='mmmeta.LoadSegAnnotations', reduce_zero_label=True, num_classes=150
)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    load_labels,
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
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    load_labels,
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0002, weight_decay=0.0001),
)
