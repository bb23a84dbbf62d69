# ImageNet-1k classifier of RandFormer-M48: randformer_s12_in1k.py with this size.
# Published: top-1 81.4 (sail-sg/metaformer README).
_base_ = ['./randformer_s12_in1k.py']

published_results = dict(top1=81.4, source='sail-sg/metaformer README')
checkpoint_file = (
    'https://huggingface.co/sail/dl/resolve/main/randformer/randformer_m48.pth'  # noqa
)

model = dict(
    backbone=dict(arch='m48', drop_path_rate=0.3), head=dict(in_channels=768)
)
