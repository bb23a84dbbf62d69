# FFNet-seg (FFNet-seg backbone + FFNetHead), ADE20K 512x512, 160k
# iterations, 8 GPUs x 2.
#
# The official system-level recipe (ysj9909/FFNet,
# segmentation/configs/ade20k/ffnet_seg_512_ade_160k.py, run in the SegNeXt
# fork of mmseg 0.x) ported to mmseg 1.x: the model and optimisation of
# _base_/ffnet_seg.py (drop path 0.3 in the backbone, 0.1 in the head),
# mmseg's ADE20K pipelines (RepeatDataset x50 as the official
# ade20k_repeat base) and a whole-image test resized to a multiple of 32.
#
# Published: mIoU 50.1 single-scale, 51.2 multi-scale + flip (FFNet
# segmentation README; 68M parameters, 74 GFLOPs).
_base_ = ['mmseg::_base_/datasets/ade20k.py', './_base_/ffnet_seg.py']

published_results = dict(
    mIoU=50.1,
    source='ysj9909/FFNet segmentation README',
    weights='https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_seg_sys_512_160k_ade20k.pth',
)  # noqa

train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=50,
        dataset={{_base_.train_dataloader.dataset}},
    ),
)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='ResizeToMultiple', size_divisor=32),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
