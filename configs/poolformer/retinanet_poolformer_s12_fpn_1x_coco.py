# RetinaNet + PoolFormer-S12, COCO 1x (12 epochs), 8 GPUs x 2 images.
# The shared recipe (_base_/retinanet_1x_coco.py) with this backbone.
# Published: box AP 36.2 (sail-sg/poolformer detection README).
_base_ = ['../_base_/retinanet_1x_coco.py']

published_results = dict(
    bbox_mAP=36.2, source='sail-sg/poolformer detection README'
)
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s12.pth.tar'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.PoolFormer',
        arch='s12',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[128, 320, 512]),
)
