"""tools/analysis: FLOP counts against the published MACs; the benchmark
runs and reports every variant (its numbers are not asserted)."""

import os.path as osp
import subprocess
import sys

import benchmark  # tools/analysis, on the path by conftest.py
import get_flops
import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Published MACs at 224x224 (G): sail-sg/poolformer and sail-sg/metaformer
# READMEs (upstream.md section 2).
PUBLISHED_GMACS = {
    ('PoolFormer', 's12'): 1.8,
    ('PoolFormer', 's24'): 3.4,
    ('PoolFormer', 's36'): 5.0,
    ('PoolFormer', 'm36'): 8.8,
    ('PoolFormer', 'm48'): 11.6,
    ('IdentityFormer', 's12'): 1.8,
    ('IdentityFormer', 's24'): 3.4,
    ('IdentityFormer', 's36'): 5.0,
    ('IdentityFormer', 'm36'): 8.8,
    ('IdentityFormer', 'm48'): 11.5,
    ('RandFormer', 's12'): 1.9,
    ('RandFormer', 's24'): 3.5,
    ('RandFormer', 's36'): 5.2,
    ('RandFormer', 'm36'): 9.0,
    ('RandFormer', 'm48'): 11.9,
    ('PoolFormerV2', 's12'): 1.8,
    ('PoolFormerV2', 's24'): 3.4,
    ('PoolFormerV2', 's36'): 5.0,
    ('PoolFormerV2', 'm36'): 8.8,
    ('PoolFormerV2', 'm48'): 11.5,
    ('ConvFormer', 's18'): 3.9,
    ('ConvFormer', 's36'): 7.6,
    ('ConvFormer', 'm36'): 12.8,
    ('ConvFormer', 'b36'): 22.6,
    ('CAFormer', 's18'): 4.1,
    ('CAFormer', 's36'): 8.0,
    ('CAFormer', 'm36'): 13.2,
    ('CAFormer', 'b36'): 23.2,
}


@pytest.mark.parametrize('backbone,arch', sorted(PUBLISHED_GMACS))
def test_backbone_macs_match_published(backbone, arch):
    result = get_flops.main(['--backbone', backbone, '--arch', arch])
    gmacs = result['backbone']['macs'] / 1e9
    published = PUBLISHED_GMACS[(backbone, arch)]
    assert abs(gmacs - published) / published <= 0.02, gmacs


def test_get_flops_on_a_config():
    pytest.importorskip('mmseg')
    result = get_flops.main(
        [
            osp.join(ROOT, 'configs', 'fpn_poolformer_s12_ade20k.py'),
            '--shape',
            '128',
            '128',
        ]
    )
    assert result['model']['macs'] > result['backbone']['macs'] > 0
    assert result['model']['params'] > result['backbone']['params']


def test_benchmark_reports_every_variant(capsys, tmp_path):
    results = benchmark.main(
        [
            '--backbone',
            'CAFormer',
            '--arch',
            's18',
            '--shape',
            '64',
            '64',
            '--warmup',
            '1',
            '--repeats',
            '2',
            '--dtype',
            'bf16',
            '--json',
            str(tmp_path / 'out.json'),
            '--variants',
            'reference',
            'fast',
            'deploy',
        ]
    )
    assert list(results) == ['reference', 'fast', 'deploy']
    for value in results.values():
        assert value['ms'] > 0 and value['peak_mb'] >= 0
        assert value['page_faults'] >= 0
    assert results['reference']['speedup'] == 1.0
    # same weights and input in every variant: bf16 differs by rounding
    assert results['reference']['max_rel_error'] == 0.0
    assert 0 < results['deploy']['max_rel_error'] < 0.05
    printed = capsys.readouterr().out
    assert 'CAFormer-s18, inference' in printed and 'img/s' in printed
    assert printed.count('page faults/run') == 3
    assert 'native bfloat16' in printed
    assert (tmp_path / 'out.json').exists()


def test_benchmark_training_step_of_a_config(capsys):
    """A whole model's training step; ``--profile`` splits each variant's
    op time and says how far op-level work could take it (the ceiling)."""
    pytest.importorskip('mmseg')
    results = benchmark.main(
        [
            '--config',
            osp.join(ROOT, 'configs', 'fpn_poolformer_s12_ade20k.py'),
            '--train',
            '--batch',
            '1',
            '--shape',
            '64',
            '64',
            '--warmup',
            '1',
            '--repeats',
            '1',
            '--variants',
            'fast',
            'cp',
            '--profile',
        ]
    )
    assert list(results) == ['fast', 'cp']
    assert results['cp']['max_rel_error'] < 1e-5
    for result in results.values():
        assert 0 < result['matrix_product_ms'] < result['op_ms']
        # the fastest of each op call over the profiled steps
        fastest = result['fastest_matrix_product_ms']
        assert 0 < fastest <= result['matrix_product_ms']
        assert fastest < result['fastest_op_ms'] <= result['op_ms']
    printed = capsys.readouterr().out
    assert 'in matrix products' in printed and 'ceiling' in printed
    assert 'the fastest of each op call over 5 calls' in printed


def test_benchmark_op_calls_are_keyed_by_rank():
    """The profile matches an op call across steps by the op's name and
    its rank among that op's calls in the step."""
    import torch

    a = torch.ones(4, 4)
    calls = benchmark._op_calls(lambda: (a @ a) + (a @ a).sum())
    assert {('aten::mm', 0), ('aten::mm', 1), ('aten::sum', 0)} <= set(calls)
    assert ('aten::mm', 2) not in calls
    assert all(us >= 0 for us in calls.values())
    total, products = benchmark._split_ms(calls)
    mm = calls['aten::mm', 0] + calls['aten::mm', 1]
    assert products >= mm / 1000 and total >= products


def test_bf16_agreement_tool(tmp_path, data):
    pytest.importorskip('mmseg')
    import bf16_agreement
    import torch

    from mmmeta.utils.cli import build_model_from_config

    config = osp.join(ROOT, 'configs', 'demo', 'fpn_poolformer_s12_demo.py')
    torch.manual_seed(0)
    checkpoint = tmp_path / 'model.pth'
    torch.save(
        {'state_dict': build_model_from_config(config).state_dict()},
        checkpoint,
    )
    result = bf16_agreement.main(
        [
            config,
            str(checkpoint),
            osp.join(data['ade'], 'images', 'validation'),
            '--size',
            '64',
            '96',
        ]
    )
    assert result['pixels'] == 2 * (64 // 4) * (96 // 4)  # stride-4 logits
    assert 0.5 < result['autocast'] <= 1 and 0.5 < result['bfloat16'] <= 1


def test_benchmark_lean_variant_keeps_the_stages_given():
    """``--variants lean`` is ``lean=True`` (the family's stages), or the
    four flags of ``--options lean=[...]``; ``autograd`` is never lean."""
    flags = {}
    for options in ([], ['lean=[True,True,True,True]']):
        args = benchmark.parse_args(
            ['--backbone', 'TransNeXt', '--arch', 'micro', '--train']
            + ['--options', 'img_size=64', *options]
        )
        for variant in ('autograd', 'lean'):
            model = benchmark.build(args, variant)
            flags[len(options), variant] = [s.lean for s in model.stages]
    assert flags[0, 'lean'] == [True, True, False, False]
    assert flags[1, 'lean'] == [True] * 4
    assert flags[0, 'autograd'] == flags[1, 'autograd'] == [False] * 4


def test_benchmark_refuses_inference_variants_in_training():
    with pytest.raises(SystemExit):
        benchmark.parse_args(
            [
                '--backbone',
                'PoolFormer',
                '--train',
                '--variants',
                'fast',
                'deploy',
            ]
        )


def test_benchmark_training_memory_and_gradients(tmp_path):
    """--train reports the bytes held for backward and the gradients'
    difference; an official model comes from a file (here one that builds
    the official op sequence) and every variant starts from its weights."""
    official = tmp_path / 'official.py'
    official.write_text(
        'from official_ops import use_reference\n\n'
        'from mmmeta.models import PoolFormer\n\n\n'
        'def build(arch):\n'
        '    return use_reference(PoolFormer(arch))\n'
    )
    results = benchmark.main(
        [
            '--backbone',
            'PoolFormer',
            '--arch',
            's12',
            '--train',
            '--shape',
            '64',
            '64',
            '--warmup',
            '0',
            '--repeats',
            '1',
            '--no-memory',
            '--variants',
            'official',
            'autograd',
            'lean',
            '--official-code',
            str(official),
            '--official-model',
            'build',
            '--official-options',
            "arch='s12'",
        ]
    )
    held = {name: value['held_mib'] for name, value in results.items()}
    assert held['lean'] < 0.6 * held['official'] < held['autograd'], held
    for name in ('autograd', 'lean'):
        assert results[name]['max_rel_error'] < 1e-5
        assert results[name]['max_grad_rel_error'] < 1e-3
    with pytest.raises(SystemExit):
        benchmark.parse_args(
            [
                '--backbone',
                'PoolFormer',
                '--train',
                '--variants',
                'official',
                'fast',
            ]
        )


_FAULTS_OF_BIG_TENSORS = """
import resource, sys
sys.path.insert(0, {tools!r})
import torch, benchmark
kept = benchmark.keep_freed_memory() if {keep} else False
def step():  # three 40 MB tensors, as a training step's large maps
    x = torch.ones(10 << 20)
    y = x * 2
    return float((y + x)[0])
for _ in range(8):  # warm-up: the heap settles
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(4):
    step()
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(
    benchmark.platform.libc_ver()[0] != 'glibc', reason='glibc only'
)
def test_benchmark_keeps_freed_memory():
    """After warm-up, a step's 40 MB tensors reuse freed blocks instead of
    faulting in fresh pages."""
    faults = {}
    for keep in (False, True):
        code = _FAULTS_OF_BIG_TENSORS.format(
            tools=osp.join(ROOT, 'tools', 'analysis'), keep=keep
        )
        out = subprocess.run(
            [sys.executable, '-c', code],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out[0] == str(keep)
        faults[keep] = int(out[1])
    pages = 4 * 3 * (40 << 20) // 4096  # of the timed steps' tensors
    assert faults[False] > pages / 2  # glibc maps each block afresh
    assert faults[True] < pages / 6  # at most two blocks of twelve


def test_subset_coverage_counts_the_lines_of_the_selected_tests(tmp_path):
    """dev/subset_coverage.py: a line counts for the subset when a selected
    test ran it, or when no test did (collection); not when only a left-out
    test did."""
    coverage = pytest.importorskip('coverage')
    import subset_coverage  # dev/, on the path by conftest.py

    source = tmp_path / 'module.py'
    source.write_text('a = 1\nb = 2\nc = 3\nd = 4\n')
    data = coverage.CoverageData(basename=str(tmp_path / '.coverage'))
    for context, line in [
        ('', 1),
        ('tests/test_x.py::test_kept[1]|run', 2),
        ('tests/test_x.py::test_slow|run', 3),
    ]:
        data.set_context(context)
        data.add_lines({str(source): [line]})
    data.write()
    counts = subset_coverage.line_counts(
        str(tmp_path / '.coverage'), {'tests/test_x.py::test_kept[1]'}
    )
    assert counts == (4, 3, 2)
    with pytest.raises(SystemExit, match='--cov-context=test'):
        plain = coverage.CoverageData(basename=str(tmp_path / 'plain'))
        plain.add_lines({str(source): [1]})
        plain.write()
        subset_coverage.line_counts(str(tmp_path / 'plain'), set())
