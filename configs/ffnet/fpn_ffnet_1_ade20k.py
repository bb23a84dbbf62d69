# Semantic FPN + FFNet-1, ADE20K 512x512, 40k iterations, 8 GPUs x 4: the
# shared recipe (_base_/fpn_ade20k_40k.py, the PoolFormer paper's) with this
# backbone (SyncBN in multi-GPU runs), so that FFNet compares with
# PoolFormer-S12 (a model of the same size) on the same settings.
# Published: none (the FFNet paper has no Semantic FPN result).
_base_ = ['../_base_/fpn_ade20k_40k.py']

published_results = dict(mIoU=None, source='no published result')
checkpoint_file = (
    'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_1.pth.tar'  # noqa
)

model = dict(
    backbone=dict(
        type='mmmeta.FFNet',
        arch='1',
        conv_norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[80, 160, 320, 640]),
)
