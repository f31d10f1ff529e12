"""Where the shipped option files are, and how to point one at other data or weights."""
import copy
import glob
from importlib import resources
from os import path as osp

from .errors import MissingFileError
from .option_yaml import load_option_file


def options_dir():
    """The ``options/`` folder (installed as the package ``basicsr_unlearn.options``)."""
    return str(resources.files('basicsr_unlearn.options'))


def shipped_option(relative):
    """Load ``options/<relative>`` as an ordered dict."""
    path = osp.join(options_dir(), relative)
    if not osp.isfile(path):
        raise MissingFileError(f'option file not found in the package: {path}')
    return load_option_file(path)


def shipped_recipe(kind, stem):
    """Path, relative to ``options/``, of the shipped ``<kind>/<Arch>/<stem>.yml`` (kind: train, test
    or unlearn; the architecture folder is found, so callers need only the file's name)."""
    found = glob.glob(osp.join(options_dir(), kind, '*', f'{stem}.yml'))
    if len(found) != 1:
        raise MissingFileError(f'expected one option file {kind}/<Arch>/{stem}.yml in {options_dir()}, found '
                               f'{len(found)}.')
    return osp.relpath(found[0], options_dir())


def rebase_dataroots(opt, new_root, old_root):
    """Copy of ``opt`` whose ``dataroot_*`` and ``meta_info_file`` paths under ``old_root`` (the root the
    shipped file points to: ``tasks.BENCHMARK_ROOTS``) point to ``new_root``."""
    opt = copy.deepcopy(opt)

    def visit(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and (key.startswith('dataroot') or key == 'meta_info_file') \
                        and (value == old_root or value.startswith(old_root + '/')):
                    node[key] = osp.join(new_root, osp.relpath(value, old_root))
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(opt)
    return opt
