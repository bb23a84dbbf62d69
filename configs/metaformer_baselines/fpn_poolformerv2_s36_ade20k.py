# Semantic FPN + PoolFormerV2-S36, ADE20K 512x512, 40k iterations, 8 GPUs x 4.
# fpn_poolformerv2_s12_ade20k.py with a larger backbone,
# its ImageNet-1k weights from sail-sg/metaformer, and drop path as its
# ImageNet recipe sets it for this size.
# Published: none (no paper reports this combination).
_base_ = ['./fpn_poolformerv2_s12_ade20k.py']

published_results = dict(mIoU=None, source='no published result')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_s36.pth'  # noqa

model = dict(
    backbone=dict(
        arch='s36',
        drop_path_rate=0.2,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    )
)
