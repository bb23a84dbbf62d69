# ImageNet-1k classifier of TransNeXt-Micro: the official one (the last stage
# norm, global average pooling, linear head) as an mmpretrain
# ImageClassifier, the position bias on the 224x224 grid; the official
# evaluation pipeline (bicubic resize of the short side to 256, centre crop
# 224). Evaluate the released file as it is:
#   python tools/test.py configs/classification/transnext_micro_in1k.py \
#       https://huggingface.co/DaiShiResearch/transnext-micro-224-1k/resolve/main/transnext_micro_224_1k.pth
# Published: top-1 82.5 (TransNeXt README).
_base_ = ['../_base_/in1k_classifier.py']

published_results = dict(top1=82.5, source='DaiShiResearch/TransNeXt README')
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-micro-224-1k/resolve/main/transnext_micro_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        type='mmmeta.TransNeXt',
        arch='micro',
        img_size=224,
        pretrain_size=224,
        drop_path_rate=0.15,
    ),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(in_channels=384),
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
