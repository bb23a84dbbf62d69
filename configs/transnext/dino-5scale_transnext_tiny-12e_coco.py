# DINO 5-scale + TransNeXt-Tiny, COCO 12 epochs: the 4-scale recipe
# (dino-4scale_transnext_tiny-12e_coco.py) with all four stages into a
# 5-level ChannelMapper (the fifth level a strided convolution of the
# last), as the official dino-5scale_transnext_tiny-12e_coco.py; drop
# path 0.3.
#
# Published: box AP 55.7 (TransNeXt README, 48.1M parameters).
_base_ = ['./dino-4scale_transnext_tiny-12e_coco.py']

published_results = dict(
    bbox_mAP=55.7,
    source='DaiShiResearch/TransNeXt detection/dino README',
    weights='https://huggingface.co/DaiShiResearch/dino-5scale-transnext-tiny-coco/resolve/main/dino_5scale_transnext_tiny_12e_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-tiny-224-1k/resolve/main/transnext_tiny_224_1k.pth'  # noqa

num_levels = 5
model = dict(
    num_feature_levels=num_levels,
    backbone=dict(
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[72, 144, 288, 576], num_outs=num_levels),
    encoder=dict(layer_cfg=dict(self_attn_cfg=dict(num_levels=num_levels))),
    decoder=dict(layer_cfg=dict(cross_attn_cfg=dict(num_levels=num_levels))),
)
