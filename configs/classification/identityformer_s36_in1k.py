# ImageNet-1k classifier of IdentityFormer-S36: identityformer_s12_in1k.py with this size.
# Published: top-1 79.3 (sail-sg/metaformer README).
_base_ = ['./identityformer_s12_in1k.py']

published_results = dict(top1=79.3, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/identityformer/identityformer_s36.pth'  # noqa

model = dict(
    backbone=dict(arch='s36', drop_path_rate=0.2), head=dict(in_channels=512)
)
