# ImageNet-1k classifier of CAFormer-S36: caformer_s18_in1k.py with this size.
# Published: top-1 84.5 (sail-sg/metaformer README).
_base_ = ['./caformer_s18_in1k.py']

published_results = dict(top1=84.5, source='sail-sg/metaformer README')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/caformer/caformer_s36.pth'  # noqa
)

model = dict(
    backbone=dict(arch='s36', drop_path_rate=0.3),
    neck=dict(in_channels=512, hidden_channels=2048, dropout=0.4),
    head=dict(in_channels=2048),
)
