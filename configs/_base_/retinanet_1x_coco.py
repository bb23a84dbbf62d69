# RetinaNet, COCO 1x (12 epochs), 8 GPUs x 2 images: the recipe of the
# PoolFormer paper (sail-sg/poolformer, detection/, itself PVT's), shared by
# every family's RetinaNet config. A family config sets the backbone and
# neck.in_channels (stages 1-3).
#
# AdamW lr 1e-4, weight decay 1e-4, linear warm-up over 500 iterations, lr
# x0.1 after epochs 8 and 11, Resize (1333, 800), flip 0.5, fp32. Everything
# but backbone, neck inputs and optimizer is mmdet's stock RetinaNet 1x.
#
# sail-sg builds the FPN on the four stage outputs with start_level=1 and
# sets FORK_LAST3=1 so that the unused stride-4 output has no parameters.
# Here the backbone simply does not return that output (out_indices=(1, 2,
# 3)) and the FPN starts at its first input: the same network, with the
# same FPN parameter names, and no unused parameters under DDP.
_base_ = [
    'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
    './mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.MetaFormer',  # set by the family config
        out_indices=(1, 2, 3),
        frozen_stages=-1,
        drop_path_rate=0.0,
    ),
    neck=dict(start_level=0, add_extra_convs='on_input', num_outs=5),
)

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.0001),
)
