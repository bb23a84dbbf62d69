"""The documentation cannot drift: every Python block and every shell
command of every Markdown file (the README, docs/, configs/) is checked.

A Python block carries a marker on the line before it that says how it is
run (a block without one fails here):

* ``<!-- check: config BASE [BASE ...] -->``: a config fragment. For each
  ``BASE`` (``A+B`` for several bases at once) a config inheriting it plus
  the block is built with the host's registry, trains one step on
  generated data and predicts; an ``optim_wrapper`` of the result is built
  and steps.
* ``<!-- check: python [given model] [replace OLD NEW] -->``: run as a
  script from the repository root; ``given model`` binds ``model`` to a
  small backbone first, ``replace`` substitutes a regular expression (a
  checkpoint path only a user has, by ``None``), ``build NAME`` builds the
  config the block leaves in ``NAME`` with mmmeta's registry and runs it on
  a 64x64 image.

A shell line ``python TOOL ARGS`` must parse with the tool's own argument
parser (nothing runs), ``bash tools/X.sh`` and ``configs/...`` paths must
exist, ``make T`` must be a Makefile target, and no ``pip install`` may
name PyPI's unrelated ``mmmeta``.
"""

import argparse
import contextlib
import glob
import os
import os.path as osp
import re
import runpy
import shlex
import subprocess
import sys
import warnings

import pytest
from support import ROOT, train_and_predict

#: The name pip knows this project by (setup.py).
DISTRIBUTION = 'mmmetaformer'
FENCE = re.compile(
    r'(?:^<!-- check: (?P<marker>.*?) -->\n)?^```(?P<lang>\w*)\n'
    r'(?P<body>.*?)^```',
    re.S | re.M,
)


def markdown_files():
    out = subprocess.run(
        ['git', 'ls-files', '*.md'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [p for p in out.stdout.split() if not p.startswith('tests/')]


def blocks(path, lang):
    with open(osp.join(ROOT, path)) as f:
        text = f.read()
    for match in FENCE.finditer(text):
        if match['lang'] == lang:
            line = text[: match.start('body')].count('\n')
            yield line, match['marker'], match['body']


PYTHON_BLOCKS = [
    (f'{path}:{line}', marker, body)
    for path in markdown_files()
    for line, marker, body in blocks(path, 'python')
]


def test_every_python_block_has_a_check():
    unmarked = [where for where, marker, _ in PYTHON_BLOCKS if not marker]
    assert PYTHON_BLOCKS and not unmarked, (
        f'python blocks at {unmarked} say nothing about how they are '
        f'checked; add <!-- check: ... --> (tests/test_readme.py)'
    )


def config_cases():
    for where, marker, body in PYTHON_BLOCKS:
        words = shlex.split(marker or '')
        if words[:1] == ['config']:
            for bases in words[1:]:
                yield pytest.param(
                    bases.split('+'), body, id=f'{where}:{bases}'
                )


def python_cases():
    for where, marker, body in PYTHON_BLOCKS:
        words = shlex.split(marker or '')
        if words[:1] == ['python']:
            yield pytest.param(words[1:], body, where, id=where)


def host_of(bases):
    hosts = {base.split('::')[0] for base in bases}
    assert len(hosts) == 1, bases
    return hosts.pop()


@pytest.mark.parametrize('bases,body', list(config_cases()))
def test_readme_config_fragment_builds_and_trains(bases, body, tmp_path):
    from mmengine.config import Config

    path = tmp_path / 'snippet.py'
    path.write_text(f'_base_ = {bases!r}\n{body}')
    train_and_predict(Config.fromfile(str(path)), host_of(bases))


def small_backbone():
    from mmmeta.registry import build_module

    return build_module(dict(type='mmmeta.PoolFormer', arch='s12')).eval()


@pytest.mark.parametrize('options,body,where', list(python_cases()))
def test_readme_python_block_runs(options, body, where, monkeypatch):
    namespace = {'__name__': '__readme__'}
    build = None
    while options:
        word = options.pop(0)
        if word == 'given':
            name = options.pop(0)
            assert name == 'model', f'nothing known to give as {name!r}'
            namespace['model'] = small_backbone()
        elif word == 'replace':
            old, new = options.pop(0), options.pop(0)
            body, count = re.subn(old, new, body)
            assert count, f'{old!r} is not in the block'
        elif word == 'build':
            build = options.pop(0)
        else:
            raise AssertionError(f'unknown check option {word!r}')
    monkeypatch.chdir(ROOT)
    with warnings.catch_warnings(record=True):
        exec(compile(body, where, 'exec'), namespace)
    if build is not None:
        import torch

        from mmmeta.registry import build_module

        model = build_module(namespace[build]).eval()
        with torch.no_grad():
            outputs = model(torch.randn(1, 3, 64, 64))
        assert len(outputs) == len(model.out_indices)


# ------------------------------------------------------------ shell lines
class _ParsedError(Exception):
    pass


def shell_commands():
    for path in markdown_files():
        for line, _, body in blocks(path, 'bash'):
            text = body.replace('\\\n', ' ')
            pending, start = '', 0
            for offset, command in enumerate(text.splitlines()):
                if not pending:
                    command = command.split(' #', 1)[0]
                    start = offset
                pending = (pending + '\n' + command).strip()
                try:  # a quoted argument may span lines
                    shlex.split(pending)
                except ValueError:
                    continue
                if pending and not pending.startswith('#'):
                    yield pytest.param(
                        pending, id=f'{path}:{line + start + 1}'
                    )
                pending = ''


def targets_of_makefile():
    with open(osp.join(ROOT, 'Makefile')) as f:
        return set(re.findall(r'^([\w-]+):', f.read(), re.M))


def parse_tool_arguments(script, args):
    """Run ``script`` up to its argument parsing (and no further)."""
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(parser, args=None, namespace=None):
        original(parser, args, namespace)
        raise _ParsedError

    argv = sys.argv
    sys.argv = [script] + args
    argparse.ArgumentParser.parse_args = parse_then_stop
    try:
        with contextlib.redirect_stdout(open(os.devnull, 'w')):
            runpy.run_path(osp.join(ROOT, script), run_name='__main__')
    except _ParsedError:
        return
    except SystemExit as exit_:
        raise AssertionError(
            f'{script} {shlex.join(args)}: its argument '
            f'parser refused this (exit {exit_.code})'
        ) from None
    finally:
        argparse.ArgumentParser.parse_args = original
        sys.argv = argv
    raise AssertionError(f'{script} never parsed its arguments')


@pytest.mark.parametrize('command', list(shell_commands()))
def test_documented_shell_command_is_valid(command):
    words = shlex.split(command)
    while words and re.match(r'^\w+=', words[0]):  # VAR=value prefixes
        words.pop(0)
    if not words:
        return
    for word in words:
        if word.startswith('configs/') and word.endswith('.py'):
            assert osp.isfile(osp.join(ROOT, word)), f'no {word}'
    program = words[0]
    if program in ('python', 'python3') and words[1:2] != ['-m']:
        parse_tool_arguments(words[1], words[2:])
    elif program == 'bash':
        assert osp.isfile(osp.join(ROOT, words[1])), f'no {words[1]}'
    elif program == 'make':
        assert words[1] in targets_of_makefile(), command
    elif program == 'pip' and 'install' in words:
        for word in words[words.index('install') + 1 :]:
            assert not re.fullmatch(r'mmmeta(\[.*\])?', word), (
                f'{command}: installs PyPI\'s unrelated "mmmeta"; install '
                f'from the checkout (pip install -e ".[deploy]")'
            )
    elif program == 'mim':
        assert words[2] == DISTRIBUTION, (
            f'{command}: mim knows this package as {DISTRIBUTION}'
        )


@pytest.mark.parametrize(
    'path', [p for p in markdown_files() if not p.startswith('configs/')]
)
def test_docs_name_configs_by_path(path):
    """A config named in the README or docs/ is a path that exists (a bare
    name of a config in a subfolder is no help to a reader)."""
    with open(osp.join(ROOT, path)) as f:
        text = f.read()
    shipped = {
        osp.relpath(p, ROOT)
        for p in glob.glob(
            osp.join(ROOT, 'configs', '**', '*.py'), recursive=True
        )
    }
    named = re.findall(r'`([\w./-]+\.py)`', text)
    bare = [
        n
        for n in named
        if '/' not in n and any(p.endswith('/' + n) for p in shipped)
    ]
    missing = [
        n for n in named if n.startswith('configs/') and n not in shipped
    ]
    assert not bare and not missing, (bare, missing)
