# ImageNet-1k classifier of InceptionNeXt-Base: inceptionnext_tiny_in1k.py
# with this size.
# Published: top-1 84.0 (sail-sg/inceptionnext README).
_base_ = ['./inceptionnext_tiny_in1k.py']

published_results = dict(top1=84.0, source='sail-sg/inceptionnext README')
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_base.pth'  # noqa

model = dict(
    backbone=dict(arch='base', drop_path_rate=0.4),
    neck=dict(in_channels=1024, hidden_channels=3072),
    head=dict(in_channels=3072),
)
