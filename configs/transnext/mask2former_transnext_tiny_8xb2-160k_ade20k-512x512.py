# Mask2Former + TransNeXt-Tiny, ADE20K 512x512, 160k iterations, 8 GPUs x 2.
#
# The official recipe (DaiShiResearch/TransNeXt,
# segmentation/mask2former/configs/mask2former_transnext_tiny_160k_ade20k-
# 512x512.py, mmseg 1.0) on mmseg 1.x's own Mask2Former config: AdamW lr
# 1e-4, weight decay 0.05, eps 1e-8, gradient clipping at 0.01, poly lr
# (power 0.9) over 160k iterations, random short side 256-1024 and 512
# crops, whole-image test padded to a multiple of 32; position bias computed
# on the 512x512 training grid; drop path 0.3.
#
# Parameter groups as the official custom keys make them (mmmeta names,
# checked against the official names in tests/test_recipes.py): the
# TransNeXt keys of the DINO recipe (backbone at lr x0.1; stage-4 patch
# embedding and norm at the full rate), plus the decoder's query and level
# embeddings at the full rate without weight decay; biases, norms and 1-D
# parameters without weight decay. mmseg's own `backbone` lr x0.1 key is
# replaced, as in the official config.
#
# Published: mIoU 53.4 (TransNeXt README, 47.5M parameters).
_base_ = [
    'mmseg::mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py',
    '../_base_/mmmeta_runtime.py',
    './_base_/param_groups.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    mIoU=53.4,
    source='DaiShiResearch/TransNeXt segmentation/mask2former README',
    weights='https://huggingface.co/DaiShiResearch/mask2former-transnext-tiny-ade/resolve/main/mask2former_transnext_tiny_512x512_160k_ade20k_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-tiny-224-1k/resolve/main/transnext_tiny_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.TransNeXt',
        lean=True,  # memory-bound recipe: selective activation checkpointing
        arch='tiny',
        img_size=512,
        pretrain_size=224,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[72, 144, 288, 576]),
)

optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={{_base_.transnext_mask2former_custom_keys}},
        bias_decay_mult=0.0,
        norm_decay_mult=0.0,
        flat_decay_mult=0.0,
    )
)
