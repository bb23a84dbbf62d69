# UperNet + InceptionNeXt-T, ADE20K 512x512, 160k iterations, 8 GPUs x 2.
#
# The paper's recipe as it states it (Yu et al., InceptionNeXt, CVPR 2024,
# Sec. 4.2 and Appendix A.2): Swin's UperNet config (mmseg's swin-tiny ...
# upernet_8xb2-160k_ade20k-512x512, inherited here as is: AdamW lr 6e-5,
# weight decay 0.01 except on norms, linear warm-up over 1500 iterations then
# poly decay, batch 16, 160k iterations) with the backbone swapped, a
# LayerNorm on every backbone output, and drop path 0.2 / 0.3 / 0.4 for
# T / S / B (its Table 10). No official segmentation code exists.
#
# Published: the paper's UperNet table (Table 6 of the arXiv version;
# multi-scale mIoU, like the Swin and ConvNeXt rows it compares with):
# 47.9 (T), 50.0 (S), 50.6 (B).
_base_ = [
    'mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py',  # noqa
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    mIoU=47.9, source='InceptionNeXt paper, UperNet table (multi-scale)'
)
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_tiny.pth'  # noqa

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmmeta.InceptionNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[96, 192, 384, 768], num_classes=150),
    auxiliary_head=dict(in_channels=384, num_classes=150),
)
