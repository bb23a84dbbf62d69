# UperNet + TransNeXt-Tiny, ADE20K 512x512, 160k iterations, 8 GPUs x 2.
#
# The official single-scale recipe (DaiShiResearch/TransNeXt,
# segmentation/upernet/configs/upernet_transnext_tiny_512x512_160k_ade20k_ss.py,
# mmseg 0.x) ported to mmseg 1.x: mmseg's stock UperNet + auxiliary FCN
# head (on stage 3) and ADE20K pipelines, AdamW lr 6e-5, weight decay 0.05
# except on TransNeXt's own parameters and norms, linear warm-up over 1500
# iterations from 1e-6, then poly decay (power 1.0); position bias computed
# on the 512x512 grid (img_size=512); sliding-window test, 512 crops with
# stride 341; drop path 0.4.
#
# Published: mIoU 51.1 single-scale (TransNeXt README, 59M params). The
# multi-scale numbers (51.5 interpolation / 51.7 extrapolation) use
# img_size=800 or is_extrapolation=True with whole-image multi-scale tests.
_base_ = [
    'mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py',
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    mIoU=51.1,
    source='DaiShiResearch/TransNeXt segmentation README',
    weights='https://huggingface.co/DaiShiResearch/upernet-transnext-tiny-ade/resolve/main/upernet_transnext_tiny_512x512_160k_ade20k_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-tiny-224-1k/resolve/main/transnext_tiny_224_1k.pth'  # noqa
crop_size = (512, 512)

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmmeta.TransNeXt',
        lean=True,  # memory-bound recipe: selective activation checkpointing
        arch='tiny',
        img_size=512,
        pretrain_size=224,
        is_extrapolation=False,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.4,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[72, 144, 288, 576], num_classes=150),
    auxiliary_head=dict(in_channels=288, num_classes=150),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)),
)

train_dataloader = dict(batch_size=2)

no_decay = dict(decay_mult=0.0)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-05, betas=(0.9, 0.999), weight_decay=0.05
    ),
    paramwise_cfg=dict(
        custom_keys={
            'query_embedding': no_decay,
            'relative_pos_bias_local': no_decay,
            'cpb': no_decay,
            'temperature': no_decay,
            'norm': no_decay,
        }
    ),
)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500
    ),
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        by_epoch=False,
        begin=1500,
        end=160000,
    ),
]
