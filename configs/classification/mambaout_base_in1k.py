# ImageNet-1k classifier of MambaOut-Base: mambaout_tiny_in1k.py with this
# size.
# Published: top-1 84.2 (yuweihao/MambaOut README).
_base_ = ['./mambaout_tiny_in1k.py']

published_results = dict(top1=84.2, source='yuweihao/MambaOut README')
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_base.pth'  # noqa

model = dict(
    backbone=dict(arch='base', drop_path_rate=0.6),
    neck=dict(in_channels=768, hidden_channels=3072),
    head=dict(in_channels=3072),
)
