# ImageNet-1k evaluation of CAFormer-S18 with mmpretrain's ImageClassifier.
# The official classifier is: global average pooling, LayerNorm (the
# backbone's output norm with gap_before_out_norm=True), then the MLP head
# Linear -> SquaredReLU -> LayerNorm -> Linear, here the MlpPreLogits neck
# plus a LinearClsHead. Test pipeline as identityformer_s12_in1k.py:
# bicubic resize to 224, centre crop 224 (crop_pct 1.0).
#
# Weights: convert the sail-sg release once:
#   python tools/model_converters/metaformer2mmmeta.py caformer_s18.pth \
#       caformer_s18_in1k.pth --classifier
# The same config serves ConvFormer (type='mmmeta.ConvFormer') and the other
# sizes (set arch and the channels: 4 x the last stage width).
# Published: top-1 83.6 (sail-sg/metaformer README).
_base_ = ['./identityformer_s12_in1k.py']  # data pipeline, crop_pct 1.0

published_results = dict(top1=83.6, source='sail-sg/metaformer README')
checkpoint_file = 'https://huggingface.co/sail/dl/resolve/main/caformer/caformer_s18.pth'  # noqa

model = dict(
    backbone=dict(
        _delete_=True, type='mmmeta.CAFormer', arch='s18',
        out_indices=(3, ), gap_before_out_norm=True, drop_path_rate=0.15),
    neck=dict(_delete_=True, type='mmmeta.MlpPreLogits', in_channels=512,
              hidden_channels=2048),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048))
