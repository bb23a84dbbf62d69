# UperNet + InceptionNeXt-S, ADE20K: the Tiny recipe
# (upernet_inceptionnext_tiny_8xb2-160k_ade20k-512x512.py) with drop path
# 0.3 (the paper's Table 10).
#
# Published: 50.0 mIoU (the paper's UperNet table, multi-scale).
_base_ = ['./upernet_inceptionnext_tiny_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=50.0, source='InceptionNeXt paper, UperNet table (multi-scale)'
)
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_small.pth'  # noqa

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
)
