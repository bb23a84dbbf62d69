# Mask R-CNN + MambaOut-Base, COCO 1x: the Tiny recipe
# (mask_rcnn_mambaout_tiny_fpn_1x_coco.py) with drop path 0.6, as for
# segmentation at this size.
#
# Published: box AP 47.4, mask AP 43.0 (the paper's Mask R-CNN 1x table).
_base_ = ['./mask_rcnn_mambaout_tiny_fpn_1x_coco.py']

published_results = dict(
    bbox_mAP=47.4,
    segm_mAP=43.0,
    source='MambaOut paper, Mask R-CNN 1x table',
)
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_base.pth'  # noqa

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[128, 256, 512, 768]),
)
