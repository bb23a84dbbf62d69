# ImageNet-1k classifier of CAFormer-M36: caformer_s18_in1k.py with this size.
# Published: top-1 85.2 (sail-sg/metaformer README).
_base_ = ['./caformer_s18_in1k.py']

published_results = dict(top1=85.2, source='sail-sg/metaformer README')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/caformer/caformer_m36.pth'  # noqa
)

model = dict(
    backbone=dict(arch='m36', drop_path_rate=0.4),
    neck=dict(in_channels=576, hidden_channels=2304, dropout=0.4),
    head=dict(in_channels=2304),
)
