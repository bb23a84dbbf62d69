# ImageNet-1k classifier of FFNet-4 at 384x384 (FFNet-4 is released at 384 only):
# ffnet_1_in1k.py with this size, evaluated at 384 (crop_pct 0.95: bicubic
# resize of the short side to 404, centre crop 384).
# Published: top-1 85.3 (FFNet README).
_base_ = ['./ffnet_1_in1k.py']

published_results = dict(top1=85.3, source='ysj9909/FFNet README')
checkpoint_file = 'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_4_384.pth.tar'  # noqa

model = dict(
    backbone=dict(arch='4', drop_path_rate=0.5), head=dict(in_channels=1024)
)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=404,
        edge='short',
        backend='pillow',
        interpolation='bicubic',
    ),
    dict(type='CenterCrop', crop_size=384),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
