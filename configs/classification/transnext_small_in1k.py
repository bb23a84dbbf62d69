# ImageNet-1k classifier of TransNeXt-Small: transnext_micro_in1k.py with this size.
# Published: top-1 84.7 (TransNeXt README).
_base_ = ['./transnext_micro_in1k.py']

published_results = dict(top1=84.7, source='DaiShiResearch/TransNeXt README')
checkpoint_file = 'https://huggingface.co/DaiShiResearch/transnext-small-224-1k/resolve/main/transnext_small_224_1k.pth'  # noqa

model = dict(
    backbone=dict(arch='small', drop_path_rate=0.45),
    head=dict(in_channels=576),
)
