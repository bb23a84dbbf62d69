# ImageNet-1k classifier of FFNet-1: the official one (BatchNorm on the last
# stage, global average pooling, linear head) as an mmpretrain
# ImageClassifier; the official evaluation at 256 (timm, crop_pct 0.9:
# bicubic resize of the short side to 284, centre crop 256). The distillation
# weights (ffnet_*_distillation.pth.tar) run in the same config. Evaluate the
# released file as it is:
#   python tools/test.py configs/classification/ffnet_1_in1k.py \
#       https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_1.pth.tar
# Published: top-1 81.3 (FFNet README; 82.1 with distillation).
_base_ = ['../_base_/in1k_classifier.py']

published_results = dict(top1=81.3, source='ysj9909/FFNet README')
checkpoint_file = (
    'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_1.pth.tar'  # noqa
)

model = dict(
    backbone=dict(
        type='mmmeta.FFNet',
        arch='1',
        out_norm_cfg=dict(type='BatchNormNHWC'),
        drop_path_rate=0.1,
    ),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(in_channels=640),
)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=284,
        edge='short',
        backend='pillow',
        interpolation='bicubic',
    ),
    dict(type='CenterCrop', crop_size=256),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
