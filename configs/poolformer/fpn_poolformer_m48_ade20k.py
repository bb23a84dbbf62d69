# Semantic FPN + PoolFormer-M48, ADE20K 512x512, 40k iterations, 8 GPUs x 4.
# fpn_poolformer_s12_ade20k.py with a larger backbone.
# Published: mIoU 42.7 (sail-sg/poolformer segmentation README).
_base_ = ['./fpn_poolformer_s12_ade20k.py']

published_results = dict(
    mIoU=42.7, source='sail-sg/poolformer segmentation README'
)
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_m48.pth.tar'  # noqa

model = dict(
    backbone=dict(
        arch='m48',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[96, 192, 384, 768]),
)
