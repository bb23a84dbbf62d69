# ImageNet-1k classifier of PoolFormerV2-S36: poolformerv2_s12_in1k.py with this size.
# Published: top-1 81.6 (sail-sg/metaformer README).
_base_ = ['./poolformerv2_s12_in1k.py']

published_results = dict(top1=81.6, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_s36.pth'  # noqa

model = dict(
    backbone=dict(arch='s36', drop_path_rate=0.2), head=dict(in_channels=512)
)
