# Semantic FPN + InceptionNeXt-T, ADE20K 512x512, 40k iterations, 8 GPUs x 4.
# The shared recipe (_base_/fpn_ade20k_40k.py) with this backbone, its
# ImageNet-1k weights from the official release, and drop path 0.1. This is
# the paper's Semantic FPN setting (Yu et al., InceptionNeXt, Sec. 4.2 and
# Table 10: PoolFormer's recipe, AdamW lr 2e-4, batch 32, 40k iterations,
# poly 0.9).
# Published: 43.1 mIoU (the paper's Semantic FPN table).
_base_ = ['../_base_/fpn_ade20k_40k.py']

published_results = dict(
    mIoU=43.1, source='InceptionNeXt paper, Semantic FPN table'
)
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_tiny.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.InceptionNeXt',
        arch='tiny',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[96, 192, 384, 768]),
)
