# ImageNet-1k classification with an mmmeta backbone: mmpretrain's
# ImageNet recipe of its PoolFormer-S12 config (data, AdamW schedule,
# runtime) with mmmeta's ImageClassifier, which reads the official
# checkpoints of every family as they are released (see
# mmmeta/models/classifier.py). A family config sets the backbone
# (out_indices=(3, )), neck and head, and the official evaluation
# pipeline; the training recipes of the papers differ and are not ported.
_base_ = [
    'mmpretrain::poolformer/poolformer-s12_32xb128_in1k.py',
    './mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

model = dict(
    type='mmmeta.ImageClassifier',
    backbone=dict(
        _delete_=True,
        type='mmmeta.MetaFormer',  # set by the family config
        out_indices=(3,),
    ),
    head=dict(type='LinearClsHead', num_classes=1000),
)
