# UperNet + MambaOut-Small, ADE20K: the Tiny recipe
# (upernet_mambaout_tiny_8xb2-160k_ade20k-512x512.py) with drop path 0.3
# (yuweihao/MambaOut#251).
#
# Published: 49.5 single-scale / 50.6 multi-scale mIoU (the paper's UperNet
# table).
_base_ = ['./upernet_mambaout_tiny_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=49.5,
    source='MambaOut paper, UperNet table (single-scale; 50.6 multi-scale)',
)
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_small.pth'  # noqa

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
)
