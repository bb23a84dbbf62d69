# ImageNet-1k classifier of InceptionNeXt-Small: inceptionnext_tiny_in1k.py
# with this size.
# Published: top-1 83.5 (sail-sg/inceptionnext README).
_base_ = ['./inceptionnext_tiny_in1k.py']

published_results = dict(top1=83.5, source='sail-sg/inceptionnext README')
checkpoint_file = 'https://github.com/sail-sg/inceptionnext/releases/download/model/inceptionnext_small.pth'  # noqa

model = dict(
    backbone=dict(arch='small', drop_path_rate=0.3),
)
