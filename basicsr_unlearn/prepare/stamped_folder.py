"""A benchmark folder built once, whole, and recognised later by its ``benchmark.json`` stamp.

Both benchmarks (the embedded mini one and the real mini protocol) are written to a
temporary folder beside their root and renamed at the end, so a folder is either
complete or absent; a folder we did not build, or built with other settings, is never
written into.
"""
import hashlib
import json
import os
import shutil
import tempfile
from os import path as osp

from ..tasks import BENCHMARK_STAMP
from ..utils import ExistingFileError

STAMP = BENCHMARK_STAMP


def read_stamp(root):
    """The ``benchmark.json`` of ``root`` as a dict, or None when there is none."""
    stamp = osp.join(root, STAMP)
    if not osp.isfile(stamp):
        return None
    with open(stamp, encoding='utf-8') as f:
        return json.load(f)


def file_hash(root):
    """sha256 over every file's relative path and content, in sorted order."""
    digest = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            path = osp.join(folder, name)
            if name in (STAMP, 'lock.mdb'):
                continue
            digest.update(osp.relpath(path, root).encode())
            with open(path, 'rb') as f:
                digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()


def build_stamped(root, wanted, fill, what, option='--root'):
    """Return the stamp of ``root`` if it was built with the settings ``wanted`` and its files are
    those the stamp records; else build it.

    ``fill(folder)`` writes the benchmark into an empty temporary folder and may return
    extra stamp entries; the stamp is ``wanted`` + those + ``file_hash``. Returns
    (stamp, built_now).
    """
    if osp.exists(root):
        stamp = read_stamp(root)
        if stamp is None:
            raise ExistingFileError(f'{root} exists and is not a {what} built by basicsr_unlearn; '
                                    f'choose another {option} or move it away.')
        if {k: stamp.get(k) for k in wanted} != json.loads(json.dumps(wanted)):
            differ = sorted(k for k in wanted if json.loads(json.dumps(wanted[k])) != stamp.get(k))
            raise ExistingFileError(f'{root} holds a {what} built with other settings ({", ".join(differ)} differ); '
                                    f'choose another {option} or move it away.')
        found = file_hash(root)
        if found != stamp.get('file_hash'):  # a copied stamp, or files changed, added or removed since
            raise ExistingFileError(f'{root}: its files are not those its {STAMP} records (file hash {found[:12]}, '
                                    f'recorded {str(stamp.get("file_hash"))[:12]}); build the {what} into an empty '
                                    f'{option}.')
        return stamp, False
    parent = osp.dirname(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(osp.abspath(root))}-', dir=parent)
    try:
        stamp = dict(wanted)
        stamp.update(fill(tmp) or {})
        stamp['file_hash'] = file_hash(tmp)
        with open(osp.join(tmp, STAMP), 'w', encoding='utf-8') as f:
            json.dump(stamp, f, indent=2)
        os.rename(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return stamp, True
