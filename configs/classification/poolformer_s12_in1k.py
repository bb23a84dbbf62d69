# ImageNet-1k evaluation of PoolFormer-S12 with mmpretrain's ImageClassifier
# and mmpretrain's PoolFormer data pipeline (bicubic resize to 248, centre
# crop 224). The official classifier is: GroupNorm(1) on the last stage
# (the backbone's output norm), global average pooling, linear head.
#
# Weights: convert the sail-sg release once, then test with mmpretrain:
#   python tools/model_converters/metaformer2mmmeta.py poolformer_s12.pth.tar \
#       poolformer_s12_in1k.pth --classifier
#   python tools/test.py configs/classification/poolformer_s12_in1k.py \
#       poolformer_s12_in1k.pth
# Published: top-1 77.2 (sail-sg), 77.24 (mmpretrain).
_base_ = ['mmpretrain::poolformer/poolformer-s12_32xb128_in1k.py']

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)
published_results = dict(top1=77.2, source='sail-sg/poolformer README')
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s12.pth.tar'  # noqa

model = dict(
    backbone=dict(
        _delete_=True, type='mmmeta.PoolFormer', arch='s12',
        out_indices=(3, ), drop_path_rate=0.1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=512))
