# ImageNet-1k classifier of TransNeXt-Base: transnext_micro_in1k.py with this size.
# Published: top-1 84.8 (TransNeXt README).
_base_ = ['./transnext_micro_in1k.py']

published_results = dict(top1=84.8, source='DaiShiResearch/TransNeXt README')
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-base-224-1k/resolve/main/transnext_base_224_1k.pth'  # noqa

model = dict(
    backbone=dict(arch='base', drop_path_rate=0.6), head=dict(in_channels=768)
)
