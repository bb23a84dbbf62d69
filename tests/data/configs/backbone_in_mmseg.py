# An mmseg-scoped config that uses an mmmeta backbone through the registry.
default_scope = 'mmseg'
custom_imports = dict(imports=['mmmeta'], allow_failed_imports=False)
model = dict(backbone=dict(type='mmmeta.CAFormer', arch='s18'))
