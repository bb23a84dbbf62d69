# ImageNet-1k classifier of PoolFormer-M48: poolformer_s12_in1k.py with this size,
# and mmpretrain's M-model evaluation (short side to 236, centre crop 224).
# Published: top-1 82.5 (sail-sg/poolformer README).
_base_ = ['./poolformer_s12_in1k.py']

published_results = dict(top1=82.5, source='sail-sg/poolformer README')
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_m48.pth.tar'  # noqa

model = dict(
    backbone=dict(arch='m48', drop_path_rate=0.4), head=dict(in_channels=768)
)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=236,
        edge='short',
        backend='pillow',
        interpolation='bicubic',
    ),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
