# Mask R-CNN, COCO 1x (12 epochs), 8 GPUs x 2 images: the recipe of the
# PoolFormer paper (sail-sg/poolformer, detection/, itself PVT's), shared by
# every family's Mask R-CNN config. A family config sets the backbone and
# neck.in_channels.
#
# AdamW lr 2e-4, weight decay 1e-4, linear warm-up over 500 iterations, lr
# x0.1 after epochs 8 and 11, Resize (1333, 800), flip 0.5, fp32.
# Everything but backbone, neck inputs and optimizer is mmdet's stock Mask
# R-CNN 1x.
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    './mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.MetaFormer',  # set by the family config
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        drop_path_rate=0.0,
    )
)

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0002, weight_decay=0.0001),
)
