# ImageNet-1k classifier of MambaOut-Femto: mambaout_tiny_in1k.py with this
# size.
# Published: top-1 78.9 (yuweihao/MambaOut README).
_base_ = ['./mambaout_tiny_in1k.py']

published_results = dict(top1=78.9, source='yuweihao/MambaOut README')
checkpoint_file = 'https://github.com/yuweihao/MambaOut/releases/download/model/mambaout_femto.pth'  # noqa

model = dict(
    backbone=dict(arch='femto', drop_path_rate=0.025),
    neck=dict(in_channels=288, hidden_channels=1152),
    head=dict(in_channels=1152),
)
