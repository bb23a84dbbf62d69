# UperNet + InceptionNeXt-B, ADE20K: the Tiny recipe
# (upernet_inceptionnext_tiny_8xb2-160k_ade20k-512x512.py) with drop path
# 0.4 (the paper's Table 10).
#
# Published: 50.6 mIoU (the paper's UperNet table, multi-scale).
_base_ = ['./upernet_inceptionnext_tiny_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=50.6, source='InceptionNeXt paper, UperNet table (multi-scale)'
)
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_base.pth'  # noqa

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.4,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[128, 256, 512, 1024]),
    auxiliary_head=dict(in_channels=512),
)
