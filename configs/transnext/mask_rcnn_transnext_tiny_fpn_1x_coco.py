# Mask R-CNN + TransNeXt-Tiny, COCO 1x (12 epochs), 8 GPUs x 2 images.
#
# The official recipe (DaiShiResearch/TransNeXt,
# detection/maskrcnn/configs/mask_rcnn_transnext_tiny_fpn_1x_coco.py, mmdet
# 2.x) ported to mmdet 3.x: mmdet's stock Mask R-CNN 1x (Resize (1333, 800),
# flip 0.5, linear warm-up 500 iterations, lr x0.1 after epochs 8 and 11)
# with AdamW lr 1e-4, weight decay 0.05 except on the query embeddings,
# local position biases, CPB MLPs, temperatures and norms; no gradient
# clipping; position bias interpolated from an 800x800 grid
# (img_size=800); drop path 0.4.
#
# Published: box AP 49.9, mask AP 44.6 (TransNeXt README, 47.9M params).
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    '../_base_/mmmeta_runtime.py',
]

custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)

published_results = dict(
    bbox_mAP=49.9,
    segm_mAP=44.6,
    source='DaiShiResearch/TransNeXt detection README',
    weights='https://huggingface.co/DaiShiResearch/maskrcnn-transnext-tiny-coco/resolve/main/mask_rcnn_transnext_tiny_fpn_1x_coco_in1k.pth',
)  # noqa
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-tiny-224-1k/resolve/main/transnext_tiny_224_1k.pth'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmmeta.TransNeXt',
        arch='tiny',
        img_size=800,
        pretrain_size=224,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.4,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint_file),
    ),
    neck=dict(in_channels=[72, 144, 288, 576]),
)

# TransNeXt's own parameters and every norm are not decayed.
no_decay = dict(decay_mult=0.0)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.05
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
