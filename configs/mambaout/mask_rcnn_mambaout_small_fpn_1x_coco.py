# Mask R-CNN + MambaOut-Small, COCO 1x: the Tiny recipe
# (mask_rcnn_mambaout_tiny_fpn_1x_coco.py) with drop path 0.3, as for
# segmentation at this size.
#
# Published: box AP 47.4, mask AP 42.7 (the paper's Mask R-CNN 1x table).
_base_ = ['./mask_rcnn_mambaout_tiny_fpn_1x_coco.py']

published_results = dict(
    bbox_mAP=47.4,
    segm_mAP=42.7,
    source='MambaOut paper, Mask R-CNN 1x table',
)
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_small.pth'  # noqa

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
)
