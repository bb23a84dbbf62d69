# Semantic FPN + PoolFormer-S12 on ADE20K, at the path of the README's quick
# start (`python tools/train.py configs/fpn_poolformer_s12_ade20k.py`). The
# config itself is poolformer/fpn_poolformer_s12_ade20k.py.
_base_ = ['./poolformer/fpn_poolformer_s12_ade20k.py']
