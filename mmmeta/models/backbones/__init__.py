"""mmmeta's backbones: the MetaFormer core (``metaformer.py``) and one
folder per family.

Importing this package imports every family folder, which registers its
backbone, layers and checkpoint layouts; a new family folder needs no edit
anywhere else. Each folder's ``__all__`` is re-exported here.
"""

import importlib
import pkgutil

from .metaformer import MetaFormer, MetaFormerStage

__all__ = ['MetaFormer', 'MetaFormerStage']
for _info in pkgutil.iter_modules(__path__):
    if _info.ispkg:
        _family = importlib.import_module(f'{__name__}.{_info.name}')
        for _name in getattr(_family, '__all__', ()):
            globals()[_name] = getattr(_family, _name)
            __all__.append(_name)
