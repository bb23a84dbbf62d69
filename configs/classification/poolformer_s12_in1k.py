# ImageNet-1k classifier of PoolFormer-S12: the official one (GroupNorm(1) on
# the last stage, global average pooling, linear head) as an mmpretrain
# ImageClassifier, with mmpretrain's PoolFormer evaluation pipeline
# (bicubic resize of the short side to 248, centre crop 224; S models).
# Evaluate the released file as it is:
#   python tools/test.py configs/classification/poolformer_s12_in1k.py \
#       https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s12.pth.tar
# Published: top-1 77.2 (sail-sg/poolformer README).
_base_ = ['../_base_/in1k_classifier.py']

published_results = dict(top1=77.2, source='sail-sg/poolformer README')
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s12.pth.tar'  # noqa

model = dict(
    backbone=dict(type='mmmeta.PoolFormer', arch='s12', drop_path_rate=0.1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(in_channels=512),
)
