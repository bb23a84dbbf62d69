# RetinaNet + InceptionNeXt-T, COCO 1x (12 epochs), 8 GPUs x 2 images.
# The shared recipe (_base_/retinanet_1x_coco.py) with this backbone, its
# ImageNet-1k weights from the official release, and drop path as its
# ImageNet recipe sets it for this size.
# Published: none (no paper reports this combination).
_base_ = ['../_base_/retinanet_1x_coco.py']

published_results = dict(bbox_mAP=None, source='no published result')
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_tiny.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.InceptionNeXt',
        arch='tiny',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[192, 384, 768]),
)
