# Mask R-CNN + PoolFormer-S36, COCO 1x (12 epochs), 8 GPUs x 2 images.
# mask_rcnn_poolformer_s12_fpn_1x_coco.py with a larger backbone.
# Published: box AP 41.0, mask AP 37.7 (sail-sg/poolformer detection README).
_base_ = ['./mask_rcnn_poolformer_s12_fpn_1x_coco.py']

published_results = dict(
    bbox_mAP=41.0, segm_mAP=37.7, source='sail-sg/poolformer detection README'
)
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s36.pth.tar'  # noqa

model = dict(
    backbone=dict(
        arch='s36',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    )
)
