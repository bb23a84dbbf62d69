# RetinaNet + PoolFormer-S36, COCO 1x (12 epochs), 8 GPUs x 2 images.
# retinanet_poolformer_s12_fpn_1x_coco.py with a larger backbone.
# Published: box AP 39.5 (sail-sg/poolformer detection README).
_base_ = ['./retinanet_poolformer_s12_fpn_1x_coco.py']

published_results = dict(
    bbox_mAP=39.5, source='sail-sg/poolformer detection README'
)
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s36.pth.tar'  # noqa

model = dict(
    backbone=dict(
        arch='s36',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    )
)
