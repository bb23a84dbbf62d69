from . import layers, token_mixers  # noqa: F401  (registers them)
from .backbones import *  # noqa: F401,F403
