# The main job's config: fpn_poolformer_s12_ade20k.py, unchanged in model and
# optimizer type, shrunk to a few CPU minutes on the synthetic ADE20K-layout
# data of tools/misc/make_demo_data.py (5 classes, ~200 px images):
# crops of 128, 400 iterations, batch 4, random initialisation (no download)
# and a higher learning rate, since it starts from scratch. The seed is
# fixed, so a run on the same machine and software repeats its mIoU.
_base_ = ['../poolformer/fpn_poolformer_s12_ade20k.py']

data_root = 'data/demo/ade'
classes = ('wall', 'building', 'sky', 'floor', 'tree')
metainfo = dict(classes=classes)
crop_size = (128, 128)
max_iters = 400

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=None),
    decode_head=dict(num_classes=len(classes)),
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='mmmeta.LoadSegAnnotations',
        reduce_zero_label=True,
        num_classes=len(classes),
    ),
    dict(
        type='RandomResize',
        scale=(448, 160),
        ratio_range=(0.5, 2.0),
        keep_ratio=True,
    ),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(448, 160), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(
        type='mmmeta.LoadSegAnnotations',
        reduce_zero_label=True,
        num_classes=len(classes),
    ),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(
        times=1000,
        dataset=dict(
            data_root=data_root, metainfo=metainfo, pipeline=train_pipeline
        ),
    ),
)
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=test_pipeline
    ),
)
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=0.001))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        begin=0,
        end=max_iters,
        eta_min=0.0,
        by_epoch=False,
    )
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1),
)
randomness = dict(seed=0)
