# ImageNet-1k classifier of PoolFormerV2-M36: poolformerv2_s12_in1k.py with this size.
# Published: top-1 82.2 (sail-sg/metaformer README).
_base_ = ['./poolformerv2_s12_in1k.py']

published_results = dict(top1=82.2, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_m36.pth'  # noqa

model = dict(
    backbone=dict(arch='m36', drop_path_rate=0.3), head=dict(in_channels=768)
)
