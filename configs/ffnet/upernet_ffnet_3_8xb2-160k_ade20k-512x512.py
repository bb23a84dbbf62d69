# UperNet + FFNet-3, ADE20K: the FFNet-2 recipe
# (upernet_ffnet_2_8xb2-160k_ade20k-512x512.py) with layer-wise lr decay 0.9
# over 12 layers, drop path 0.3 and layer scales.
#
# Published: mIoU 49.6 single-scale (FFNet segmentation README).
_base_ = ['./upernet_ffnet_2_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=49.6,
    source='ysj9909/FFNet segmentation README',
    weights='https://github.com/ysj9909/FFNet/releases/download/v1.0/upernet_ffnet_3_512_160k_ade20k.pth',
)  # noqa
checkpoint_file = 'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_3_distillation.pth.tar'  # noqa

model = dict(
    backbone=dict(
        arch='3',
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384),
)
optim_wrapper = dict(paramwise_cfg=dict(decay_rate=0.9, num_layers=12))
