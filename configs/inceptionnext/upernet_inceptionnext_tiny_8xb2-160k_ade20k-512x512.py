# UperNet + InceptionNeXt-T, ADE20K 512x512, 160k iterations, 8 GPUs x 2.
#
# The paper's segmentation recipe follows ConvNeXt's (Yu et al. 2024,
# Sec. 4.3; the authors in sail-sg/inceptionnext#10), which no official
# code release states; these are ConvNeXt's settings as mmseg ships them
# (configs/convnext/convnext-*_upernet_8xb2-amp-160k_ade20k-512x512.py, which
# mmseg builds on the Swin UperNet config inherited here): mmseg's UperNet +
# auxiliary FCN head, AdamW lr 1e-4, weight decay 0.05
# (none on norms and biases), stage-wise learning-rate decay 0.9, linear
# warm-up over 1500 iterations from 1e-6 then poly decay (power 1.0), mixed
# precision, sliding-window test (512 crops, stride 341), drop path 0.4
# (ConvNeXt's for this size); a LayerNorm on every backbone output.
#
# Published: the paper reports multi-scale mIoU of this setting (its
# Table 5); not restated here, since this project could not read the
# table (write the number in when you check it).
_base_ = [
    'mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py',  # noqa
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    mIoU=None, source='InceptionNeXt paper Table 5 (multi-scale; not restated)'
)
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_tiny.pth'  # noqa
crop_size = (512, 512)

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmmeta.InceptionNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.4,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[96, 192, 384, 768], num_classes=150),
    auxiliary_head=dict(in_channels=384, num_classes=150),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)),
)

optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    constructor='mmmeta.LayerDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05
    ),
    paramwise_cfg=dict(decay_rate=0.9, decay_type='stage_wise', num_layers=6),
)
