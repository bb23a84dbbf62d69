# ImageNet-1k classifier of MambaOut-Tiny: the official one (global
# average pooling, LayerNorm -- the backbone's output norm with
# gap_before_out_norm=True -- then the MLP head Linear(4x) -> GELU ->
# LayerNorm (eps 1e-6) -> Linear, here the MlpPreLogits neck plus a
# LinearClsHead) as an mmpretrain ImageClassifier; the official evaluation
# (crop_pct 1.0: bicubic resize of the short side to 224, centre crop 224).
# Evaluate the released file (or timm's mambaout_tiny) as it is:
#   python tools/test.py configs/classification/mambaout_tiny_in1k.py \
#       https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_tiny.pth
# Published: top-1 82.7 (yuweihao/MambaOut README).
_base_ = ['../_base_/in1k_classifier.py']

published_results = dict(top1=82.7, source='yuweihao/MambaOut README')
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_tiny.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.MambaOut',
        arch='tiny',
        gap_before_out_norm=True,
        drop_path_rate=0.2,
    ),
    neck=dict(
        type='mmmeta.MlpPreLogits',
        in_channels=576,
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
        scale=224,
        edge='short',
        backend='pillow',
        interpolation='bicubic',
    ),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
