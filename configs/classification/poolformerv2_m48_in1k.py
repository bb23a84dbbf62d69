# ImageNet-1k classifier of PoolFormerV2-M48: poolformerv2_s12_in1k.py with this size.
# Published: top-1 82.6 (sail-sg/metaformer README).
_base_ = ['./poolformerv2_s12_in1k.py']

published_results = dict(top1=82.6, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_m48.pth'  # noqa

model = dict(
    backbone=dict(arch='m48', drop_path_rate=0.4), head=dict(in_channels=768)
)
