# ImageNet-1k classifier of ConvFormer-M36: convformer_s18_in1k.py with this size.
# Published: top-1 84.5 (sail-sg/metaformer README).
_base_ = ['./convformer_s18_in1k.py']

published_results = dict(top1=84.5, source='sail-sg/metaformer README')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/convformer/convformer_m36.pth'  # noqa
)

model = dict(
    backbone=dict(arch='m36', drop_path_rate=0.4),
    neck=dict(in_channels=576, hidden_channels=2304, dropout=0.0),
    head=dict(in_channels=2304),
)
