# Semantic FPN + PoolFormer-S12, ADE20K 512x512, 40k iterations, 8 GPUs x 4.
# The shared recipe (_base_/fpn_ade20k_40k.py) with this backbone.
# mmseg 1.x with its variant of the recipe (AMP, frozen stem): see README.md.
# Published: mIoU 37.2 (sail-sg/poolformer segmentation README).
_base_ = ['../_base_/fpn_ade20k_40k.py']

published_results = dict(
    mIoU=37.2, source='sail-sg/poolformer segmentation README'
)
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s12.pth.tar'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.PoolFormer',
        arch='s12',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[64, 128, 320, 512]),
)
