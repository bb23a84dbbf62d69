# Mask R-CNN + MambaOut-Base, COCO 1x: the Tiny recipe
# (mask_rcnn_mambaout_tiny_fpn_1x_coco.py) with drop path 0.6, as for
# segmentation at this size.
#
# Published: the paper's Table 3, not restated here.
_base_ = ['./mask_rcnn_mambaout_tiny_fpn_1x_coco.py']

checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_base.pth'  # noqa

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[128, 256, 512, 768]),
)
