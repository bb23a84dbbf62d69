from . import layers, necks, token_mixers  # noqa: F401  (registers them)
from .backbones import *  # noqa: F401,F403
