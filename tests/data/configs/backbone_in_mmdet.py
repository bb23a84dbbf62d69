# An mmdet-scoped config that uses an mmmeta backbone through the registry.
default_scope = 'mmdet'
custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)
model = dict(backbone=dict(type='mmmeta.PoolFormer', arch='s12'))
