# Semantic FPN + ConvFormer-S18, ADE20K 512x512, 40k iterations, 8 GPUs x 4:
# the PoolFormer recipe (fpn_poolformer_s12_ade20k.py) with this backbone
# and its ImageNet-1k weights from sail-sg/metaformer.
# Published: none yet (the MetaFormer-baselines paper has no segmentation
# results).
_base_ = ['./fpn_poolformer_s12_ade20k.py']

published_results = dict(mIoU=None, source='no published result')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/convformer/convformer_s18.pth'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.ConvFormer',
        arch='s18',
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        drop_path_rate=0.0,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)),
    neck=dict(in_channels=[64, 128, 320, 512]))
