# ImageNet-1k classifier of ConvFormer-B36: convformer_s18_in1k.py with this size.
# Published: top-1 84.8 (sail-sg/metaformer README).
_base_ = ['./convformer_s18_in1k.py']

published_results = dict(top1=84.8, source='sail-sg/metaformer README')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/convformer/convformer_b36.pth'  # noqa
)

model = dict(
    backbone=dict(arch='b36', drop_path_rate=0.6),
    neck=dict(in_channels=768, hidden_channels=3072, dropout=0.0),
    head=dict(in_channels=3072),
)
