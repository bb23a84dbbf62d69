"""mmmeta's models: generic layers, the MetaFormer core and its families,
decode heads and the classification neck. Importing it registers them
all."""

from . import classifier, decode_heads, layers, necks  # noqa: F401
from .backbones import *  # noqa: F401,F403
from .backbones import __all__  # noqa: F401
