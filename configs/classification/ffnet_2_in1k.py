# ImageNet-1k classifier of FFNet-2: ffnet_1_in1k.py with this size.
# Published: top-1 82.9 (FFNet README; 83.7 with distillation).
_base_ = ['./ffnet_1_in1k.py']

published_results = dict(top1=82.9, source='ysj9909/FFNet README')
checkpoint_file = (
    'https://github.com/ysj9909/FFNet/releases/download/v1.0/ffnet_2.pth.tar'  # noqa
)

model = dict(
    backbone=dict(arch='2', drop_path_rate=0.15), head=dict(in_channels=704)
)
