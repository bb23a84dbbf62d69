# Semantic FPN + TransNeXt-Tiny, ADE20K 512x512, 40k iterations, 8 GPUs x 4:
# the shared recipe (_base_/fpn_ade20k_40k.py, the PoolFormer paper's) with
# this backbone, so that TransNeXt compares with PoolFormer on the same
# settings. Position bias computed on the 512x512 training grid.
# Published: none (the TransNeXt paper has no Semantic FPN result).
_base_ = ['../_base_/fpn_ade20k_40k.py']

published_results = dict(mIoU=None, source='no published result')
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-tiny-224-1k/resolve/main/transnext_tiny_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.TransNeXt',
        arch='tiny',
        img_size=512,
        pretrain_size=224,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[72, 144, 288, 576]),
)
