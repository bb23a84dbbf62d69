# Mask R-CNN + TransNeXt-Small, COCO 1x: the Tiny recipe
# (mask_rcnn_transnext_tiny_fpn_1x_coco.py) with drop path 0.6.
#
# Published: box AP 51.1, mask AP 45.5 (TransNeXt README, 69.3M params).
_base_ = ['./mask_rcnn_transnext_tiny_fpn_1x_coco.py']

published_results = dict(
    bbox_mAP=51.1,
    segm_mAP=45.5,
    source='DaiShiResearch/TransNeXt detection README',
    weights='https://huggingface.co/DaiShiResearch/maskrcnn-transnext-small-coco/resolve/main/mask_rcnn_transnext_small_fpn_1x_coco_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-small-224-1k/resolve/main/transnext_small_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    )
)
