# UperNet + FFNet-4, ADE20K: the FFNet-3 recipe
# (upernet_ffnet_3_8xb2-160k_ade20k-512x512.py) with the FFNet-4 backbone.
#
# Published: mIoU 50.7 single-scale (FFNet segmentation README; from the
# 384x384 fine-tuned ImageNet checkpoint).
_base_ = ['./upernet_ffnet_3_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=50.7,
    source='ysj9909/FFNet segmentation README',
    weights='https://github.com/ysj9909/FFNet/releases/download/v1.0/upernet_ffnet_4_512_160k_ade20k.pth',
)  # noqa
checkpoint_file = 'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_4_384.pth.tar'  # noqa

model = dict(
    backbone=dict(
        arch='4', init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file)
    ),
    decode_head=dict(in_channels=[128, 256, 512, 1024]),
    auxiliary_head=dict(in_channels=512),
)
