# ImageNet-1k classifier of ConvFormer-S18: the official one (global average
# pooling, LayerNorm -- the backbone's output norm with
# gap_before_out_norm=True -- then the MLP head Linear -> SquaredReLU ->
# LayerNorm -> Linear, here the MlpPreLogits neck plus a LinearClsHead) as
# an mmpretrain ImageClassifier; the official evaluation pipeline (bicubic
# resize to 224, centre crop 224, crop_pct 1.0). The ImageNet-21k
# fine-tuned weights (*_in21ft1k.pth) run in the same config. Evaluate the
# released file as it is:
#   python tools/test.py configs/classification/convformer_s18_in1k.py \
#       https://huggingface.co/sail/dl/resolve/main/convformer/convformer_s18.pth
# Published: top-1 83.0 (sail-sg/metaformer README).
_base_ = ['../_base_/in1k_classifier.py']

published_results = dict(top1=83.0, source='sail-sg/metaformer README')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/convformer/convformer_s18.pth'  # noqa
)

model = dict(
    backbone=dict(
        type='mmmeta.ConvFormer',
        arch='s18',
        gap_before_out_norm=True,
        drop_path_rate=0.2,
    ),
    neck=dict(
        type='mmmeta.MlpPreLogits',
        in_channels=512,
        hidden_channels=2048,
        dropout=0.0,
    ),
    head=dict(in_channels=2048),
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
