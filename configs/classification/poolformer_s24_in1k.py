# ImageNet-1k classifier of PoolFormer-S24: poolformer_s12_in1k.py with this size.
# Published: top-1 80.3 (sail-sg/poolformer README).
_base_ = ['./poolformer_s12_in1k.py']

published_results = dict(top1=80.3, source='sail-sg/poolformer README')
checkpoint_file = 'https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s24.pth.tar'  # noqa

model = dict(
    backbone=dict(arch='s24', drop_path_rate=0.1), head=dict(in_channels=512)
)
