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
from setuptools.command.editable_wheel import editable_wheel

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


class EditableWithMim(editable_wheel):
    """An editable install that ``mim`` can find.

    mim looks for a package's ``.mim`` folder at ``<distribution location>
    / <first line of top_level.txt>``. A PEP 660 editable install puts the
    distribution in site-packages, where no ``mmmeta`` folder exists (the
    code stays in the checkout), so ``mim search`` / ``train`` / ``test``
    found nothing. The editable wheel's ``top_level.txt`` therefore names
    the checkout's package folder by its absolute path first (joined to any
    location, it stays itself), then ``mmmeta``; regular wheels are left as
    they are.
    """

    def _install_namespaces(self, installation_dir, pth_prefix):
        super()._install_namespaces(installation_dir, pth_prefix)
        for info in os.listdir(installation_dir):
            top_level = osp.join(installation_dir, info, 'top_level.txt')
            if info.endswith('.dist-info') and osp.isfile(top_level):
                with open(top_level, 'w') as f:
                    f.write(osp.join(HERE, 'mmmeta') + '\nmmmeta\n')


add_mim_extension()
#: The distribution name. PyPI's ``mmmeta`` is an unrelated project (it
#: also installs an ``mmmeta`` module); the import name here stays
#: ``mmmeta``, which the configs and the registry scope use.
DISTRIBUTION = 'mmmetaformer'

setup(
    name=DISTRIBUTION,
    version=read_version(),
    description='MetaFormer-family backbones (PoolFormer, ConvFormer, '
    'CAFormer, TransNeXt, FFNet, ...) for mmdet, mmsegmentation and '
    'mmpretrain',
    long_description=open(osp.join(HERE, 'README.md')).read()
    if osp.exists(osp.join(HERE, 'README.md'))
    else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.8',
    packages=find_packages(include=['mmmeta', 'mmmeta.*']),
    include_package_data=True,
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'det': ['mmdet>=3.0.0,<4.0.0', 'mmcv>=2.0.0,<2.2.0'],
        'seg': [
            'mmsegmentation>=1.0.0,<2.0.0',
            'mmcv>=2.0.0,<2.2.0',
            'ftfy',
            'regex',
        ],
        'cls': ['mmpretrain>=1.0.0,<2.0.0'],
        'deploy': read_requirements('deploy.txt'),
        'tests': read_requirements('tests.txt')
        + read_requirements('deploy.txt'),
    },
    zip_safe=False,
    cmdclass={'editable_wheel': EditableWithMim},
)
