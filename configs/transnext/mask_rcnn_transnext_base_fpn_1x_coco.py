# Mask R-CNN + TransNeXt-Base, COCO 1x: the Tiny recipe
# (mask_rcnn_transnext_tiny_fpn_1x_coco.py) with drop path 0.7 and, as the
# official config, mixed precision with a static loss scale of 512.
#
# Published: box AP 51.7, mask AP 45.9 (TransNeXt README, 109.2M params).
_base_ = ['./mask_rcnn_transnext_tiny_fpn_1x_coco.py']

published_results = dict(
    bbox_mAP=51.7,
    segm_mAP=45.9,
    source='DaiShiResearch/TransNeXt detection README',
    weights='https://huggingface.co/DaiShiResearch/maskrcnn-transnext-base-coco/resolve/main/mask_rcnn_transnext_base_fpn_1x_coco_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-base-224-1k/resolve/main/transnext_base_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.7,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[96, 192, 384, 768]),
)
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale=512.0)
