# ImageNet-1k classifier of RandFormer-S12: the official one (global average
# pooling, LayerNorm -- the backbone's output norm with
# gap_before_out_norm=True -- and a linear head) as an mmpretrain
# ImageClassifier; the official evaluation pipeline (bicubic resize to
# 224, centre crop 224, crop_pct 1.0). Evaluate the released file as it is:
#   python tools/test.py configs/classification/randformer_s12_in1k.py \
#       https://huggingface.co/sail/dl/resolve/main/randformer/randformer_s12.pth
# Published: top-1 76.6 (sail-sg/metaformer README).
_base_ = ['../_base_/in1k_classifier.py']

published_results = dict(top1=76.6, source='sail-sg/metaformer README')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/randformer/randformer_s12.pth'  # noqa
)

model = dict(
    backbone=dict(
        type='mmmeta.RandFormer',
        arch='s12',
        gap_before_out_norm=True,
        drop_path_rate=0.1,
    ),
    neck=None,
    head=dict(in_channels=512),
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
