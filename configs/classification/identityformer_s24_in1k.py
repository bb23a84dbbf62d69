# ImageNet-1k classifier of IdentityFormer-S24: identityformer_s12_in1k.py with this size.
# Published: top-1 78.2 (sail-sg/metaformer README).
_base_ = ['./identityformer_s12_in1k.py']

published_results = dict(top1=78.2, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/identityformer/identityformer_s24.pth'  # noqa

model = dict(
    backbone=dict(arch='s24', drop_path_rate=0.1), head=dict(in_channels=512)
)
