# ImageNet-1k classifier of CAFormer-M36 fine-tuned at 384x384: caformer_m36_in1k.py
# evaluated at 384 (bicubic resize to 384, centre crop 384, crop_pct 1.0). The
# ImageNet-21k fine-tuned weights (*_384_in21ft1k.pth) run in the same config.
# Published: top-1 86.2 (sail-sg/metaformer README).
_base_ = ['./caformer_m36_in1k.py']

published_results = dict(top1=86.2, source='sail-sg/metaformer README')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/caformer/caformer_m36_384.pth'  # noqa
)


test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=384,
        edge='short',
        backend='pillow',
        interpolation='bicubic',
    ),
    dict(type='CenterCrop', crop_size=384),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
