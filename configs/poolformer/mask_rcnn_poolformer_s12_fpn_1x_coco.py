# Mask R-CNN + PoolFormer-S12, COCO 1x (12 epochs), 8 GPUs x 2 images.
# The shared recipe (_base_/mask_rcnn_1x_coco.py) with this backbone.
# Published: box AP 37.3, mask AP 34.6 (sail-sg/poolformer detection README).
_base_ = ['../_base_/mask_rcnn_1x_coco.py']

published_results = dict(
    bbox_mAP=37.3, segm_mAP=34.6, source='sail-sg/poolformer detection README'
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
