# ImageNet-1k classifier of MambaOut-Small: mambaout_tiny_in1k.py with this
# size.
# Published: top-1 84.1 (yuweihao/MambaOut README).
_base_ = ['./mambaout_tiny_in1k.py']

published_results = dict(top1=84.1, source='yuweihao/MambaOut README')
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_small.pth'  # noqa

model = dict(
    backbone=dict(arch='small', drop_path_rate=0.4),
)
