# Semantic FPN + PoolFormer-S24, ADE20K 512x512, 40k iterations, 8 GPUs x 4.
# fpn_poolformer_s12_ade20k.py with a larger backbone.
# Published: mIoU 40.3 (sail-sg/poolformer segmentation README).
_base_ = ['./fpn_poolformer_s12_ade20k.py']

published_results = dict(
    mIoU=40.3, source='sail-sg/poolformer segmentation README'
)
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s24.pth.tar'  # noqa

model = dict(
    backbone=dict(
        arch='s24',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    )
)
