# UperNet + TransNeXt-Base, ADE20K: the Tiny recipe
# (upernet_transnext_tiny_8xb2-160k_ade20k-512x512.py) with drop path 0.7.
#
# Published: mIoU 53.0 single-scale (TransNeXt README, 121M params).
_base_ = ['./upernet_transnext_tiny_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=53.0,
    source='DaiShiResearch/TransNeXt segmentation README',
    weights='https://huggingface.co/DaiShiResearch/upernet-transnext-base-ade/resolve/main/upernet_transnext_base_512x512_160k_ade20k_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-base-224-1k/resolve/main/transnext_base_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.7,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384),
)
