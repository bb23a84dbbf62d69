# Cascade Mask R-CNN + FFNet-4, COCO 3x: the FFNet-2 recipe
# (cascade_mask_rcnn_ffnet_2_fpn_3x_coco.py) with drop path 0.6, layer
# scales and, as the official config, an exponential-momentum EMA of the
# weights (momentum 1e-4).
#
# Published: box AP 53.4, mask AP 45.9 (FFNet detection README; from the
# 384x384 fine-tuned ImageNet checkpoint).
_base_ = ['./cascade_mask_rcnn_ffnet_2_fpn_3x_coco.py']

published_results = dict(
    bbox_mAP=53.4,
    segm_mAP=45.9,
    source='ysj9909/FFNet detection README',
    # the official model is released as a .zip archive (unpack it, then
    # load the .pth with load_from / tools/test.py)
    weights=None,
)  # noqa
checkpoint_file = 'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_4_384.pth.tar'  # noqa

model = dict(
    backbone=dict(
        arch='4',
        drop_path_rate=0.6,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[128, 256, 512, 1024]),
)
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0001,
        update_buffers=True,
        priority=49,
    )
]
