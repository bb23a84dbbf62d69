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
# Published: the paper's Mask R-CNN numbers (its Table 3) are not restated
# here, since this project could not read the table.
_base_ = [
    'mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py',
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    bbox_mAP=None,
    segm_mAP=None,
    source='MambaOut paper Table 3 (not restated)',
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
