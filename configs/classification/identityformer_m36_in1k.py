# ImageNet-1k classifier of IdentityFormer-M36: identityformer_s12_in1k.py with this size.
# Published: top-1 80.0 (sail-sg/metaformer README).
_base_ = ['./identityformer_s12_in1k.py']

published_results = dict(top1=80.0, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/identityformer/identityformer_m36.pth'  # noqa

model = dict(
    backbone=dict(arch='m36', drop_path_rate=0.3), head=dict(in_channels=768)
)
