# An mmpretrain-scoped config that uses an mmmeta backbone.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)
model = dict(backbone=dict(type='mmmeta.ConvFormer', arch='s18',
                           out_indices=(3, )))
