# Semantic FPN + PoolFormerV2-S12, ADE20K 512x512, 40k iterations, 8 GPUs x 4:
# the PoolFormer recipe (fpn_poolformer_s12_ade20k.py) with this backbone
# and its ImageNet-1k weights from sail-sg/metaformer.
# Published: none yet (the MetaFormer-baselines paper has no segmentation
# results).
_base_ = ['./fpn_convformer_s18_ade20k.py']

published_results = dict(mIoU=None, source='no published result')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_s12.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.PoolFormerV2',
        arch='s12',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)))
