# DINO 5-scale + TransNeXt-Base, COCO 12 epochs: the 4-scale recipe
# (dino-4scale_transnext_tiny-12e_coco.py) with all four stages into a
# 5-level ChannelMapper (the fifth level a strided convolution of the
# last), as the official dino-5scale_transnext_base-12e_coco.py; drop
# path 0.6.
#
# Published: box AP 57.1 (TransNeXt README, 110M parameters).
_base_ = ['./dino-4scale_transnext_tiny-12e_coco.py']

published_results = dict(
    bbox_mAP=57.1,
    source='DaiShiResearch/TransNeXt detection/dino README',
    weights='https://huggingface.co/DaiShiResearch/dino-5scale-transnext-base-coco/resolve/main/dino_5scale_transnext_base_12e_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-base-224-1k/resolve/main/transnext_base_224_1k.pth'  # noqa

num_levels = 5
model = dict(
    num_feature_levels=num_levels,
    backbone=dict(
        arch='base',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[96, 192, 384, 768], num_outs=num_levels),
    encoder=dict(layer_cfg=dict(self_attn_cfg=dict(num_levels=num_levels))),
    decoder=dict(layer_cfg=dict(cross_attn_cfg=dict(num_levels=num_levels))),
)
