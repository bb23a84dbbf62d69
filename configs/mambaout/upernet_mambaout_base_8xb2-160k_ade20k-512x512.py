# UperNet + MambaOut-Base, ADE20K: the Tiny recipe
# (upernet_mambaout_tiny_8xb2-160k_ade20k-512x512.py) with drop path 0.6
# (yuweihao/MambaOut#251).
#
# Published: 49.6 single-scale / 51.0 multi-scale mIoU (the paper's UperNet
# table).
_base_ = ['./upernet_mambaout_tiny_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=49.6,
    source='MambaOut paper, UperNet table (single-scale; 51.0 multi-scale)',
)
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_base.pth'  # noqa

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[128, 256, 512, 768]),
    auxiliary_head=dict(in_channels=512),
)
