# Mask R-CNN + FFNet-1, COCO 1x, 8 GPUs x 2 images: mmmeta's PoolFormer
# recipe (../mask_rcnn_poolformer_s12_fpn_1x_coco.py) unchanged but for the
# backbone (SyncBN in multi-GPU runs).
# Published: none (the FFNet paper reports Cascade Mask R-CNN 3x only).
_base_ = ['../mask_rcnn_poolformer_s12_fpn_1x_coco.py']

published_results = dict(
    bbox_mAP=None, segm_mAP=None, source='no published result')
checkpoint_file = 'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_1.pth.tar'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.FFNet',
        arch='1',
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        drop_path_rate=0.0,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)),
    neck=dict(in_channels=[80, 160, 320, 640]))
