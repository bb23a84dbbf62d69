# RetinaNet + CAFormer-M36, COCO 1x (12 epochs), 8 GPUs x 2 images.
# retinanet_caformer_s18_fpn_1x_coco.py with a larger backbone,
# its ImageNet-1k weights from sail-sg/metaformer, and drop path as its
# ImageNet recipe sets it for this size.
# Published: none (no paper reports this combination).
_base_ = ['./retinanet_caformer_s18_fpn_1x_coco.py']

published_results = dict(bbox_mAP=None, source='no published result')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/caformer/caformer_m36.pth'  # noqa
)

model = dict(
    backbone=dict(
        arch='m36',
        drop_path_rate=0.4,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[192, 384, 576]),
)
