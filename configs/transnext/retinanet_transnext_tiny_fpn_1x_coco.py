# RetinaNet + TransNeXt-Tiny, COCO 1x, 8 GPUs x 2 images: the shared recipe
# (_base_/retinanet_1x_coco.py, the PoolFormer paper's) with this backbone,
# so that TransNeXt compares with PoolFormer on the same settings. Position
# bias interpolated from an 800x800 grid, as in the official detection
# recipes.
# Published: none (the TransNeXt paper has no RetinaNet result).
_base_ = ['../_base_/retinanet_1x_coco.py']

published_results = dict(bbox_mAP=None, source='no published result')
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-tiny-224-1k/resolve/main/transnext_tiny_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.TransNeXt',
        arch='tiny',
        img_size=800,
        pretrain_size=224,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[144, 288, 576]),
)
