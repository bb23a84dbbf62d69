# UperNet + MambaOut-Tiny, ADE20K 512x512, 160k iterations, 8 GPUs x 2.
#
# The paper's recipe as its author states it (yuweihao/MambaOut#251): Swin's
# UperNet config (mmseg's swin-tiny ... upernet_8xb2-160k_ade20k-512x512,
# inherited here) with the backbone swapped, a LayerNorm on every backbone
# output, AdamW lr 1e-4 for every size (Swin: 6e-5), no layer-wise
# learning-rate decay, drop path 0.3 (Tiny), 0.3 or 0.4 (Small; 0.3 here),
# 0.6 (Base). No official segmentation code exists.
#
# Published (the paper's UperNet table, Table 3 of the CVPR 2025 version):
# 47.4 single-scale / 48.6 multi-scale mIoU.
_base_ = [
    'mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py',  # noqa
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    mIoU=47.4,
    source='MambaOut paper, UperNet table (single-scale; 48.6 multi-scale)',
)
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_tiny.pth'  # noqa

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmmeta.MambaOut',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    decode_head=dict(in_channels=[96, 192, 384, 576], num_classes=150),
    auxiliary_head=dict(in_channels=384, num_classes=150),
)

optim_wrapper = dict(optimizer=dict(lr=1e-4))
