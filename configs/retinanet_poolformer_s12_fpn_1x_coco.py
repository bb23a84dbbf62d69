# RetinaNet + PoolFormer-S12, COCO 1x (12 epochs), 8 GPUs x 2 images.
#
# The recipe of the PoolFormer paper (sail-sg/poolformer, detection/, itself
# PVT's): AdamW lr 1e-4, weight decay 1e-4, linear warm-up over 500
# iterations, lr x0.1 after epochs 8 and 11, Resize (1333, 800), flip 0.5,
# fp32. Everything but backbone, neck inputs and optimizer is mmdet's stock
# RetinaNet 1x config.
#
# sail-sg builds the FPN on the four stage outputs with start_level=1 and
# sets FORK_LAST3=1 so that the unused stride-4 output has no parameters.
# Here the backbone simply does not return that output (out_indices=(1, 2,
# 3)) and the FPN starts at its first input: the same network, with the
# same FPN parameter names, and no unused parameters under DDP.
#
# Published: box AP 36.2 (sail-sg detection README).
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py']

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    bbox_mAP=36.2, source='sail-sg/poolformer detection README')
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s12.pth.tar'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.PoolFormer',
        arch='s12',
        out_indices=(1, 2, 3),
        frozen_stages=-1,
        drop_path_rate=0.0,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)),
    neck=dict(
        in_channels=[128, 320, 512],
        start_level=0,
        add_extra_convs='on_input',
        num_outs=5))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.0001))
