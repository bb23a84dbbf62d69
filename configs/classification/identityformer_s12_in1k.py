# ImageNet-1k evaluation of IdentityFormer-S12 (MetaFormer baselines) with
# mmpretrain's ImageClassifier. The official classifier is: global average
# pooling, LayerNorm (the backbone's output norm, applied after pooling with
# gap_before_out_norm=True), linear head. Test pipeline: bicubic resize to
# 224, centre crop 224 (crop_pct 1.0).
#
# Weights: convert the sail-sg release once:
#   python tools/model_converters/metaformer2mmmeta.py identityformer_s12.pth \
#       identityformer_s12_in1k.pth --classifier
# Published: top-1 74.6 (sail-sg/metaformer README).
_base_ = ['mmpretrain::poolformer/poolformer-s12_32xb128_in1k.py']

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)
published_results = dict(top1=74.6, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/identityformer/identityformer_s12.pth'  # noqa

model = dict(
    backbone=dict(
        _delete_=True, type='mmmeta.IdentityFormer', arch='s12',
        out_indices=(3, ), gap_before_out_norm=True, drop_path_rate=0.1),
    neck=None,
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=512))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
