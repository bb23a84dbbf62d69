from . import ffnet_layers, layers, necks, token_mixers, transnext_layers  # noqa: F401  (registers them)
from .backbones import *  # noqa: F401,F403
