# UperNet + TransNeXt-Small, ADE20K: the Tiny recipe
# (upernet_transnext_tiny_8xb2-160k_ade20k-512x512.py) with drop path 0.6.
#
# Published: mIoU 52.2 single-scale (TransNeXt README, 80M params).
_base_ = ['./upernet_transnext_tiny_8xb2-160k_ade20k-512x512.py']

published_results = dict(
    mIoU=52.2,
    source='DaiShiResearch/TransNeXt segmentation README',
    weights='https://huggingface.co/DaiShiResearch/upernet-transnext-small-ade/resolve/main/upernet_transnext_small_512x512_160k_ade20k_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-small-224-1k/resolve/main/transnext_small_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    )
)
