# ImageNet-1k classifier of InceptionNeXt-Tiny: the official one (global
# average pooling, then the MLP head Linear(3x) -> GELU -> LayerNorm (eps
# 1e-6) -> Linear, here the MlpPreLogits neck plus a LinearClsHead) as an
# mmpretrain ImageClassifier; the official evaluation (timm, crop_pct 0.875:
# bicubic resize of the short side to 256, centre crop 224). Evaluate the
# released file (or timm's inception_next_tiny) as it is:
#   python tools/test.py configs/classification/inceptionnext_tiny_in1k.py \
#       https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_tiny.pth
# Published: top-1 82.3 (sail-sg/inceptionnext README).
_base_ = ['../_base_/in1k_classifier.py']

published_results = dict(top1=82.3, source='sail-sg/inceptionnext README')
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_tiny.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.InceptionNeXt',
        arch='tiny',
        out_norm_cfg=None,
        gap_before_out_norm=True,
        drop_path_rate=0.1,
    ),
    neck=dict(
        type='mmmeta.MlpPreLogits',
        in_channels=768,
        hidden_channels=2304,
        act_cfg=dict(type='GELU'),
        norm_eps=1e-6,
    ),
    head=dict(in_channels=2304),
)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow',
        interpolation='bicubic',
    ),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
