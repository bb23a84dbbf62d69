# ImageNet-1k classifier of PoolFormer-S36: poolformer_s12_in1k.py with this size.
# Published: top-1 81.4 (sail-sg/poolformer README).
_base_ = ['./poolformer_s12_in1k.py']

published_results = dict(top1=81.4, source='sail-sg/poolformer README')
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s36.pth.tar'  # noqa

model = dict(
    backbone=dict(arch='s36', drop_path_rate=0.2), head=dict(in_channels=512)
)
