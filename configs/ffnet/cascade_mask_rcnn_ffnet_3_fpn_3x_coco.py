# Cascade Mask R-CNN + FFNet-3, COCO 3x: the FFNet-2 recipe
# (cascade_mask_rcnn_ffnet_2_fpn_3x_coco.py) with drop path 0.6 and layer
# scales (initialised to 1.0 as in the official downstream configs).
#
# Published: box AP 52.8, mask AP 45.6 (FFNet detection README; from the
# distillation ImageNet checkpoint).
_base_ = ['./cascade_mask_rcnn_ffnet_2_fpn_3x_coco.py']

published_results = dict(
    bbox_mAP=52.8,
    segm_mAP=45.6,
    source='ysj9909/FFNet detection README',
    weights='https://github.com/ysj9909/FFNet/releases/download/v1.0/casc_mask_rcnn_ffnet_3_fpn_3x_coco.pth',
)  # noqa
checkpoint_file = 'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_3_distillation.pth.tar'  # noqa

model = dict(
    backbone=dict(
        arch='3',
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[96, 192, 384, 768]),
)
