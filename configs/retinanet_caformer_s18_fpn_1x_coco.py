# RetinaNet + CAFormer-S18, COCO 1x, 8 GPUs x 2 images: the PoolFormer
# recipe (retinanet_poolformer_s12_fpn_1x_coco.py) with this backbone and its
# ImageNet-1k weights from sail-sg/metaformer.
# Published: none yet (the MetaFormer-baselines paper has no detection
# results).
_base_ = ['./retinanet_convformer_s18_fpn_1x_coco.py']

published_results = dict(bbox_mAP=None, source='no published result')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/caformer/caformer_s18.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.CAFormer',
        arch='s18',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)))
