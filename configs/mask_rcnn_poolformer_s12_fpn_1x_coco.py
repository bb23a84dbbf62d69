# Mask R-CNN + PoolFormer-S12, COCO 1x (12 epochs), 8 GPUs x 2 images.
#
# The recipe of the PoolFormer paper (sail-sg/poolformer, detection/, itself
# PVT's): AdamW lr 2e-4, weight decay 1e-4, linear warm-up over 500
# iterations, lr x0.1 after epochs 8 and 11, Resize (1333, 800), flip 0.5,
# fp32. Everything but backbone, neck inputs and optimizer is mmdet's stock
# Mask R-CNN 1x config.
#
# Published: box AP 37.3, mask AP 34.6 (sail-sg detection README).
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    bbox_mAP=37.3, segm_mAP=34.6,
    source='sail-sg/poolformer detection README')
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s12.pth.tar'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.PoolFormer',
        arch='s12',
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        drop_path_rate=0.0,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)),
    neck=dict(in_channels=[64, 128, 320, 512]))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0002, weight_decay=0.0001))
