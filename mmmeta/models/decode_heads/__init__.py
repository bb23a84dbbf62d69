"""Decode heads that come with a family's published recipes. Each is
registered in mmmeta's scope and imports mmseg only when it is built, so
``import mmmeta`` never needs mmseg."""

from ...registry import MODELS


@MODELS.register_module(name='FFNetHead')
def build_ffnet_head(**kwargs):
    """``mmmeta.FFNetHead``: FFNet-seg's mmseg decode head
    (:class:`~mmmeta.models.decode_heads.ffnet_head.FFNetHead`)."""
    from .ffnet_head import FFNetHead

    return FFNetHead(**kwargs)
