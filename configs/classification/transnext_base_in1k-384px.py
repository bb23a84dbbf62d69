# ImageNet-1k classifier of TransNeXt-Base fine-tuned at 384x384: the position
# bias on the 384x384 grid (pre-training size still 224), and the official
# evaluation at 384: the image warped to 384x384 (no crop).
# Published: top-1 86.2 (TransNeXt README).
_base_ = ['./transnext_base_in1k.py']

published_results = dict(top1=86.2, source='DaiShiResearch/TransNeXt README')
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-base-384-1k-ft-1k/resolve/main/transnext_base_384_1k_ft_1k.pth'  # noqa

model = dict(backbone=dict(img_size=384, drop_path_rate=0.8))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='Resize',
        scale=(384, 384),
        backend='pillow',
        interpolation='bicubic',
    ),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
