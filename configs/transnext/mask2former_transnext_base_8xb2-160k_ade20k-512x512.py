# Mask2Former + TransNeXt-Base, ADE20K: the Tiny recipe
# (mask2former_transnext_tiny_8xb2-160k_ade20k-512x512.py) with drop path
# 0.6, as the official mask2former_transnext_base_160k_ade20k-512x512.py.
#
# Published: mIoU 54.7 (TransNeXt README, 109M parameters).
_base_ = ['./mask2former_transnext_tiny_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=54.7,
    source='DaiShiResearch/TransNeXt segmentation/mask2former README',
    weights='https://huggingface.co/DaiShiResearch/mask2former-transnext-base-ade/resolve/main/mask2former_transnext_base_512x512_160k_ade20k_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-base-224-1k/resolve/main/transnext_base_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
)
