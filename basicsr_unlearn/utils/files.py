"""Writing our own output files: whole or not at all, never over a file we did not create.

Every file is written to a fresh temporary name beside its destination (``tempfile.mkstemp``:
never a name someone else may hold) and renamed into place, so a kill or an error leaves
either the old file or the new one, never half of it. The file gets the permissions a plain
``open()`` would give it (mkstemp's are owner-only: a shipped or published file must be readable).
"""
import json
import os
import platform
import tempfile
from os import path as osp

from .errors import ExistingFileError, UserError


def current_umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path, write, mode='w'):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(handle, mode, **({} if 'b' in mode else {'encoding': 'utf-8'})) as f:
            write(f)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def check_writable_destination(path, what):
    """Refuse, before any work, an output ``path`` (named by option ``what``) that could not be
    created: a dangling link, an existing file on the way, or a folder we cannot write in (tried,
    not read off permission bits, which say nothing to root or to read-only mounts)."""
    parent = osp.abspath(path)
    while not osp.exists(parent):
        if osp.islink(parent):
            raise UserError(f'{what} {path}: {parent} is a symbolic link to nothing ({os.readlink(parent)}).')
        parent = osp.dirname(parent)
    if not osp.isdir(parent):
        raise UserError(f'{what} {path}: {parent} is a file, not a folder.')
    try:
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as error:
        raise UserError(f'{what} {path}: cannot write in {parent} ({error.strerror}).') from error


def check_new_folder(path, what):
    """A new output folder ``path`` (option ``what``): refused if anything holds the name, even a
    dangling link (it is the user's, and a rename onto it fails), or if it could not be created."""
    if osp.lexists(path):
        link = f' (a link to {os.readlink(path)})' if osp.islink(path) else ''
        raise ExistingFileError(f'{path} exists{link}; not overwriting it (choose another {what}).')
    check_writable_destination(path, what)


def write_json_atomic(data, path):
    def write(f):
        json.dump(data, f, indent=2)
        f.write('\n')
    atomic_write(path, write)


def torch_save_atomic(obj, path):
    import torch
    atomic_write(path, lambda f: torch.save(obj, f), mode='wb')


def machine():
    """What a measurement ran on, for the files that keep it."""
    import torch
    return dict(python=platform.python_version(), torch=str(torch.__version__), cpu=platform.processor() or
                platform.machine(), threads=torch.get_num_threads(), cuda=torch.cuda.is_available())
