"""What each family folder declares about itself, and tables two families
share.

A family folder registers one :class:`FamilyInfo` on import (its paper and
code, its config folder, the config-name prefixes of its backbones). The
model-index tool and the config tests read :data:`FAMILIES`, so a new
family adds no entry anywhere else.
"""

from dataclasses import dataclass
from typing import Dict, Optional


@dataclass(frozen=True)
class FamilyInfo:
    """A family's facts.

    Args:
        collection (str): The model-zoo collection, e.g. ``'MetaFormer
            baselines'``.
        paper (str): Paper title.
        arxiv (str): The paper's arXiv identifier.
        code (str): The official code's GitHub repository (owner/name).
        config_folder (str): Its folder under ``configs/``.
        backbones (dict): Config-name prefix -> registered backbone, e.g.
            ``{'convformer': 'ConvFormer'}``.
    """

    collection: str
    paper: str
    arxiv: str
    code: str
    config_folder: str
    backbones: Dict[str, str]

    @property
    def paper_url(self) -> str:
        return f'https://arxiv.org/abs/{self.arxiv}'

    @property
    def code_url(self) -> str:
        return f'https://github.com/{self.code}'


#: collection -> FamilyInfo, in registration order
FAMILIES: Dict[str, FamilyInfo] = {}


def register_family(
    collection: str,
    paper: str,
    *,
    arxiv: str,
    code: str,
    config_folder: Optional[str] = None,
    backbones: Optional[Dict[str, str]] = None,
) -> FamilyInfo:
    """Register a family's facts (its folder's ``__init__`` does this).

    The arguments are :class:`FamilyInfo`'s; ``config_folder`` defaults to
    the lower-case collection name, ``backbones`` to that name mapping to
    the collection's one backbone.
    """
    name = collection.lower()
    info = FamilyInfo(
        collection,
        paper,
        arxiv,
        code,
        config_folder or name,
        backbones or {name: collection},
    )
    FAMILIES[collection] = info
    return info


def backbone_of_prefix() -> Dict[str, str]:
    """Config-name prefix -> backbone, over every family."""
    return {
        prefix: name
        for info in FAMILIES.values()
        for prefix, name in info.backbones.items()
    }


def collection_of(backbone: str) -> str:
    """The collection a registered backbone belongs to."""
    for info in FAMILIES.values():
        if backbone in info.backbones.values():
            return info.collection
    raise KeyError(f'{backbone} belongs to no registered family')


_S_DIMS = [64, 128, 320, 512]
_M_DIMS = [96, 192, 384, 768]
#: Depths and widths of PoolFormer v1 (sail-sg), which PoolFormerV2,
#: IdentityFormer and RandFormer reuse.
SAIL_SIZES = {
    's12': dict(depths=[2, 2, 6, 2], dims=_S_DIMS),
    's24': dict(depths=[4, 4, 12, 4], dims=_S_DIMS),
    's36': dict(depths=[6, 6, 18, 6], dims=_S_DIMS),
    'm36': dict(depths=[6, 6, 18, 6], dims=_M_DIMS),
    'm48': dict(depths=[8, 8, 24, 8], dims=_M_DIMS),
}
