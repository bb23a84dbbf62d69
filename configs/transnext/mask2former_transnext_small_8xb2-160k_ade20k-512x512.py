# Mask2Former + TransNeXt-Small, ADE20K: the Tiny recipe
# (mask2former_transnext_tiny_8xb2-160k_ade20k-512x512.py) with drop path
# 0.5, as the official mask2former_transnext_small_160k_ade20k-512x512.py.
#
# Published: mIoU 54.1 (TransNeXt README, 69.0M parameters).
_base_ = ['./mask2former_transnext_tiny_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=54.1,
    source='DaiShiResearch/TransNeXt segmentation/mask2former README',
    weights='https://huggingface.co/DaiShiResearch/mask2former-transnext-small-ade/resolve/main/mask2former_transnext_small_512x512_160k_ade20k_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-small-224-1k/resolve/main/transnext_small_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.5,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[72, 144, 288, 576]),
)
