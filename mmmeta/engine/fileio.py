"""A local file backend whose writes are atomic.

mmengine writes a checkpoint straight to its final name, so a job killed
while writing leaves a truncated ``iter_N.pth`` behind. This backend writes
to a temporary file in the same directory, flushes it to disk, and renames
it over the final name (``os.replace`` is atomic on POSIX and Windows): a
file under a checkpoint's name is always complete. Use it with
``default_hooks.checkpoint.backend_args=dict(backend='mmmeta_atomic_local')``
(``tools/train.py`` does this for local work dirs).
"""

import os
import os.path as osp
import tempfile
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

ATOMIC_LOCAL_BACKEND = 'mmmeta_atomic_local'


def atomic_write(data: bytes, filepath: str) -> None:
    """Write ``data`` to ``filepath`` so that readers see the old file or
    the complete new one, never a part."""
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=directory
    )
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # as open() would create it
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` with atomic ``put`` and ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        atomic_write(obj, str(filepath))

    def put_text(
        self,
        obj: str,
        filepath: Union[str, os.PathLike],
        encoding: str = 'utf-8',
    ) -> None:
        atomic_write(obj.encode(encoding), str(filepath))


register_backend(ATOMIC_LOCAL_BACKEND, AtomicLocalBackend, force=True)
