# ImageNet-1k classifier of IdentityFormer-M48: identityformer_s12_in1k.py with this size.
# Published: top-1 80.4 (sail-sg/metaformer README).
_base_ = ['./identityformer_s12_in1k.py']

published_results = dict(top1=80.4, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/identityformer/identityformer_m48.pth'  # noqa

model = dict(
    backbone=dict(arch='m48', drop_path_rate=0.4), head=dict(in_channels=768)
)
