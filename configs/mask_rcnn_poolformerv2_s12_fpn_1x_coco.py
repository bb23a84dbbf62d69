# Mask R-CNN + PoolFormerV2-S12, COCO 1x, 8 GPUs x 2 images: the PoolFormer
# recipe (mask_rcnn_poolformer_s12_fpn_1x_coco.py) with this backbone and its
# ImageNet-1k weights from sail-sg/metaformer.
# Published: none yet (the MetaFormer-baselines paper has no detection
# results).
_base_ = ['./mask_rcnn_convformer_s18_fpn_1x_coco.py']

published_results = dict(bbox_mAP=None, segm_mAP=None, source='no published result')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_s12.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.PoolFormerV2',
        arch='s12',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)))
