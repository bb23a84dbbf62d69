# Semantic FPN + InceptionNeXt-T, ADE20K 512x512, 40k iterations, 8 GPUs x 4.
# The shared recipe (_base_/fpn_ade20k_40k.py) with this backbone, its
# ImageNet-1k weights from the official release, and drop path as its
# ImageNet recipe sets it for this size.
# Published: none (no paper reports this combination).
_base_ = ['../_base_/fpn_ade20k_40k.py']

published_results = dict(mIoU=None, source='no published result')
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
