# Mask R-CNN + MambaOut-Tiny, COCO 1x (12 epochs), 8 GPUs x 2 images.
#
# The paper's detection setting (Mask R-CNN 1x) on Swin's recipe, which its
# author names as the base of MambaOut's dense experiments
# (yuweihao/MambaOut#251): mmdet's mask-rcnn_swin-t-p4-w7_fpn_1x_coco
# (inherited here: AdamW lr 1e-4, weight decay 0.05 except on norms, 12
# epochs, steps at 8 and 11) with the backbone swapped, a LayerNorm on every
# output, and drop path as the segmentation recipe of this size. No
# official detection code exists.
#
# Published (the paper's Mask R-CNN 1x table, Table 2 of the CVPR 2025
# version): box AP 45.1, mask AP 41.0.
_base_ = [
    'mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py',
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    bbox_mAP=45.1,
    segm_mAP=41.0,
    source='MambaOut paper, Mask R-CNN 1x table',
)
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_tiny.pth'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.MambaOut',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[96, 192, 384, 576]),
)
