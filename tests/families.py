"""The table of families that drives the shared contract tests
(``test_contracts.py``), after timm's ``tests/test_models.py`` habit: a new
family adds one entry here and gets every contract test.

Not a test module: test modules import it, never each other.
"""

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple, Union

from mmmeta.models import (
    CAFormer,
    ConvFormer,
    FFNet,
    IdentityFormer,
    InceptionNeXt,
    MambaOut,
    PoolFormer,
    PoolFormerV2,
    RandFormer,
    TransNeXt,
)
from mmmeta.models.backbones.metaformer import stage_block_configs


@dataclass(frozen=True)
class Family:
    cls: type
    #: Every named arch, with its published parameter count: an exact int,
    #: or millions rounded to two decimals (a float). ``count_options``
    #: says how the count is taken.
    params: Dict[str, Union[int, float]]
    #: Fixtures (tests/data/official) with the official implementation's
    #: outputs for this family.
    fixtures: Tuple[str, ...] = ()
    #: Constructor options every test uses (e.g. a small position-bias
    #: grid for TransNeXt).
    options: dict = field(default_factory=dict)
    #: Options of the parameter count (published counts of the MetaFormer
    #: baselines exclude the output norms).
    count_options: dict = field(default_factory=dict)
    #: Smallest input side the family accepts.
    min_input: int = 32
    #: Whether ``impl='reference'`` (the official op sequence) exists.
    has_reference: bool = False
    #: Whether the family has BatchNorm (``norm_eval`` has an effect).
    has_batch_norm: bool = False
    #: Options of the deploy test that make folding non-trivial (layer
    #: scales where the family's blocks have them).
    deploy_options: dict = field(
        default_factory=lambda: dict(layer_scale_init_value=0.5)
    )
    #: Whether a whole-arch ONNX export fits the suite's time (tracing
    #: TransNeXt-Micro takes minutes; its test exports fewer blocks).
    exports_quickly: bool = True
    #: Fixture fields that are constructor options of the official model
    #: the fixture was made with.
    fixture_options: Tuple[str, ...] = ()
    #: What ``lean=True`` may hold for backward, as a share of plain
    #: autograd (issue 38's goals: 0.5 for the MetaFormer baselines,
    #: PoolFormer and MambaOut).
    lean_holds_at_most: float = 0.5
    #: The stages ``lean=True`` checkpoints.
    lean_stages: Tuple[bool, ...] = (True,) * 4

    @property
    def name(self) -> str:
        return self.cls.__name__

    @property
    def smallest(self) -> str:
        return min(self.params, key=self.params.get)

    def build(self, arch: Optional[str] = None, **kwargs):
        return self.cls(arch or self.smallest, **{**self.options, **kwargs})

    def shallow(self, **kwargs):
        """The smallest arch with one block per stage (every mixer kind
        still there: a stage listing one config per block keeps each
        distinct config once), for the expensive contracts."""
        arch = self.cls.resolve_arch(self.smallest)
        depths = []
        for i, configs in enumerate(stage_block_configs(arch)):
            distinct = [
                c for j, c in enumerate(configs) if c not in configs[:j]
            ]
            if len(configs) > 1:  # one config per block
                arch['block'][i] = distinct
            depths.append(len(distinct))
        arch['depths'] = depths
        return self.cls(arch, **{**self.options, **kwargs})


# Published parameter counts (upstream.md section 2): PoolFormer v1 the
# official dense backbone (output norms included); the MetaFormer
# baselines the sail-sg backbone without output norm and head, RandFormer
# plus its frozen mixing matrices; TransNeXt and FFNet the official dense
# backbones (FFNet with its four output LayerNorms; FFNet-seg, which has
# none, measured on the official ffnet_seg class); InceptionNeXt and
# MambaOut the official classifiers without their heads (and MambaOut's
# final norm), counted on the official classes: with them, the totals
# round to the published 4.2 / 28 / 49 / 87 M and 7.3 / 9.1 / 26.5 / 48.5 /
# 84.8 M; timm's *_rw variants counted on timm's classes.
_BASELINE_SMALL = {
    's12': 11_377_688,
    's24': 20_827_440,
    's36': 30_277_192,
    'm36': 55_306_632,
    'm48': 72_575_520,
}
_RANDOM_MATRICES = {
    's12': 235_298,
    's24': 470_596,
    's36': 705_894,
    'm36': 705_894,
    'm48': 941_192,
}
_NO_OUT_NORM = dict(out_norm_cfg=None)

FAMILIES = (
    Family(
        PoolFormer,
        params={
            's12': 11_403_200,
            's24': 20_876_992,
            's36': 30_350_784,
            'm36': 55_404_864,
            'm48': 72_705_792,
        },
        fixtures=('poolformer_s12_dense_64x64', 'poolformer_s12_cls_64x64'),
        has_reference=True,
    ),
    Family(
        PoolFormerV2,
        params=dict(_BASELINE_SMALL),
        fixtures=('poolformerv2_s12_64x64',),
        count_options=_NO_OUT_NORM,
        has_reference=True,
    ),
    Family(
        IdentityFormer,
        params=dict(_BASELINE_SMALL),
        fixtures=('identityformer_s12_64x64',),
        count_options=_NO_OUT_NORM,
        has_reference=True,
    ),
    Family(
        RandFormer,
        params={
            k: v + _RANDOM_MATRICES[k] for k, v in _BASELINE_SMALL.items()
        },
        count_options=_NO_OUT_NORM,
        has_reference=True,
    ),
    Family(
        ConvFormer,
        params={
            's18': 23_669_704,
            's36': 36_907_408,
            'm36': 53_411_472,
            'b36': 94_439_568,
        },
        fixtures=('convformer_s18_64x64',),
        count_options=_NO_OUT_NORM,
        has_reference=True,
    ),
    Family(
        CAFormer,
        params={
            's18': 23_236_912,
            's36': 36_192_358,
            'm36': 52_564_710,
            'b36': 93_310_566,
        },
        fixtures=('caformer_s18_64x64',),
        count_options=_NO_OUT_NORM,
        has_reference=True,
    ),
    Family(
        TransNeXt,
        params={'micro': 12.42, 'tiny': 27.68, 'small': 49.16, 'base': 88.95},
        deploy_options={},
        exports_quickly=False,
        fixture_options=('img_size', 'pretrain_size', 'is_extrapolation'),
        fixtures=('transnext_tiny_224x224', 'transnext_tiny_extrap_200x264'),
        options=dict(img_size=64),
        min_input=29,
        lean_holds_at_most=0.75,
        lean_stages=(True, True, False, False),
    ),
    Family(
        FFNet,
        params={'1': 13.14, '2': 26.50, '3': 48.05, '4': 78.85, 'seg': 63.83},
        fixtures=('ffnet_1_64x64', 'ffnet_3_96x128', 'ffnet_seg_64x96'),
        has_batch_norm=True,
        lean_holds_at_most=0.85,
    ),
    Family(
        InceptionNeXt,
        params={
            'atto': 2_885_440,
            'tiny': 23_974_296,
            'small': 45_292_632,
            'base': 80_444_192,
        },
        fixtures=('inceptionnext_atto_61x75', 'inceptionnext_tiny_timm_67x97'),
        count_options=_NO_OUT_NORM,
        has_batch_norm=True,
        lean_holds_at_most=0.65,
    ),
    Family(
        MambaOut,
        params={
            'femto': 5_815_728,
            'kobe': 7_652_400,
            'tiny': 22_904_928,
            'small': 44_847_904,
            'base': 79_370_044,
            'small_rw': 44_860_000,
            'base_short_rw': 83_390_784,
            'base_tall_rw': 81_044_544,
            'base_wide_rw': 89_011_200,
            'base_plus_rw': 96_219_648,
        },
        fixtures=(
            'mambaout_femto_61x75',
            'mambaout_kobe_timm_67x97',
            'mambaout_base_wide_rw_timm_33x47',
        ),
        count_options=_NO_OUT_NORM,
        min_input=1,
    ),
)
BY_NAME = {family.name: family for family in FAMILIES}
FAMILY_IDS = [family.name for family in FAMILIES]
ARCHS = [(family, arch) for family in FAMILIES for arch in family.params]
ARCH_IDS = [f'{family.name}-{arch}' for family, arch in ARCHS]
FIXTURES = [
    (family, fixture) for family in FAMILIES for fixture in family.fixtures
]
FIXTURE_IDS = [fixture for _, fixture in FIXTURES]


def build_for_fixture(family: Family, fixture: dict, **kwargs):
    """The model a fixture's outputs were made with (official settings:
    the family's ``fixture_options``; fixtures with ``raw_stage_outputs``
    hold the stages' outputs without output norms)."""
    kwargs = dict({k: fixture[k] for k in family.fixture_options}, **kwargs)
    if fixture.get('raw_stage_outputs'):
        kwargs = dict(out_norm_cfg=None, **kwargs)
    elif fixture.get('out_indices'):
        kwargs = dict(out_indices=fixture['out_indices'], **kwargs)
    return family.cls(fixture['arch'], **kwargs)
