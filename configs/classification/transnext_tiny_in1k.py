# ImageNet-1k classifier of TransNeXt-Tiny: transnext_micro_in1k.py with this size.
# Published: top-1 84.0 (TransNeXt README).
_base_ = ['./transnext_micro_in1k.py']

published_results = dict(top1=84.0, source='DaiShiResearch/TransNeXt README')
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-tiny-224-1k/resolve/main/transnext_tiny_224_1k.pth'  # noqa

model = dict(
    backbone=dict(arch='tiny', drop_path_rate=0.25), head=dict(in_channels=576)
)
