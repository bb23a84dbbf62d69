# ImageNet-1k classifier of InceptionNeXt-Atto: inceptionnext_tiny_in1k.py
# with this size.
# Published: top-1 75.3 (sail-sg/inceptionnext README).
_base_ = ['./inceptionnext_tiny_in1k.py']

published_results = dict(top1=75.3, source='sail-sg/inceptionnext README')
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_atto.pth'  # noqa

model = dict(
    backbone=dict(arch='atto', drop_path_rate=0.1),
    neck=dict(in_channels=320, hidden_channels=960),
    head=dict(in_channels=960),
)
