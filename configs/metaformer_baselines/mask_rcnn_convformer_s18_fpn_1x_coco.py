# Mask R-CNN + ConvFormer-S18, COCO 1x (12 epochs), 8 GPUs x 2 images.
# The shared recipe (_base_/mask_rcnn_1x_coco.py) with this backbone,
# its ImageNet-1k weights from sail-sg/metaformer, and drop path as its
# ImageNet recipe sets it for this size.
# Published: none (no paper reports this combination).
_base_ = ['../_base_/mask_rcnn_1x_coco.py']

published_results = dict(
    bbox_mAP=None, segm_mAP=None, source='no published result'
)
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/convformer/convformer_s18.pth'  # noqa
)

model = dict(
    backbone=dict(
        type='mmmeta.ConvFormer',
        arch='s18',
        drop_path_rate=0.2,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[64, 128, 320, 512]),
)
