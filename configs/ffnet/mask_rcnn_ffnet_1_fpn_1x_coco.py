# Mask R-CNN + FFNet-1, COCO 1x, 8 GPUs x 2 images: the shared recipe
# (_base_/mask_rcnn_1x_coco.py, the PoolFormer paper's) with this backbone
# (SyncBN in multi-GPU runs).
# Published: none (the FFNet paper reports Cascade Mask R-CNN 3x only).
_base_ = ['../_base_/mask_rcnn_1x_coco.py']

published_results = dict(
    bbox_mAP=None, segm_mAP=None, source='no published result'
)
checkpoint_file = (
    'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_1.pth.tar'  # noqa
)

model = dict(
    backbone=dict(
        type='mmmeta.FFNet',
        arch='1',
        conv_norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[80, 160, 320, 640]),
)
