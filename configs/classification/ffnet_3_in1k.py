# ImageNet-1k classifier of FFNet-3: ffnet_1_in1k.py with this size and crop_pct 0.95
# (resize to 269).
# Published: top-1 83.9 (FFNet README; 84.5 with distillation).
_base_ = ['./ffnet_1_in1k.py']

published_results = dict(top1=83.9, source='ysj9909/FFNet README')
checkpoint_file = (
    'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_3.pth.tar'  # noqa
)

model = dict(
    backbone=dict(arch='3', drop_path_rate=0.35), head=dict(in_channels=768)
)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=269,
        edge='short',
        backend='pillow',
        interpolation='bicubic',
    ),
    dict(type='CenterCrop', crop_size=256),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
