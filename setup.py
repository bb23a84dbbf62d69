"""Packaging for mmmeta.

`import mmmeta` needs only torch and mmengine; mmdet, mmsegmentation and
mmpretrain are optional extras. The full, tested environment (mmcv built with
its compiled ops and so on) is set up by ``tools/install.sh``.
"""
import os
import os.path as osp
import re
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    with open(osp.join(HERE, 'mmmeta', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def read_requirements(name: str) -> list:
    reqs = []
    with open(osp.join(HERE, 'requirements', name)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


def add_mim_extension() -> None:
    """Put ``configs/``, ``tools/`` and ``model-index.yml`` under
    ``mmmeta/.mim``, where OpenMMLab's ``mim`` looks for a package's model
    zoo (``mim search mmmeta``) and configs. An editable install links
    them, a wheel or sdist copies them."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    target_dir = osp.join(HERE, 'mmmeta', '.mim')
    os.makedirs(target_dir, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src, dst = osp.join(HERE, name), osp.join(target_dir, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, target_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


add_mim_extension()
setup(
    name='mmmeta',
    version=read_version(),
    description='MetaFormer-family backbones (PoolFormer, ConvFormer, '
    'CAFormer, TransNeXt, FFNet, ...) for mmdet, mmsegmentation and '
    'mmpretrain',
    long_description=open(osp.join(HERE, 'README.md')).read()
    if osp.exists(osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.8',
    packages=find_packages(include=['mmmeta', 'mmmeta.*']),
    include_package_data=True,
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'det': ['mmdet>=3.0.0,<4.0.0', 'mmcv>=2.0.0,<2.2.0'],
        'seg': ['mmsegmentation>=1.0.0,<2.0.0', 'mmcv>=2.0.0,<2.2.0',
                'ftfy', 'regex'],
        'cls': ['mmpretrain>=1.0.0,<2.0.0'],
        'deploy': read_requirements('deploy.txt'),
        'tests': read_requirements('tests.txt') + read_requirements(
            'deploy.txt'),
    },
    zip_safe=False,
)
