"""Option files: read and written as safe YAML, one key set by its colon-separated name, and the
shipped ones found and pointed at other data.

BasicSR 1.4.2 reads options with PyYAML's full loader, which runs ``!!python/...``
tags (a downloaded option file could execute code), and PyYAML's YAML 1.1 rules
read ``1e-4`` as the *string* '1e-4' (it wants ``1.0e-4``), which then breaks the
optimizer. ``OptionLoader`` is a safe loader that keeps key order, rejects
duplicate keys and reads ``1e-4``, ``2e3`` and ``.5`` as floats.

It also refuses aliases (``*name``) and merge keys (``<<``): option files do not need
them, and a few lines of nested aliases ("billion laughs") expand to gigabytes in
whatever walks the options afterwards (BasicSR prints and copies them).
"""
import copy
import difflib
import glob
import re
from collections import OrderedDict
from importlib import resources
from os import path as osp

import yaml

from .errors import MissingFileError, OptionError, UserError

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader

_FLOAT = re.compile(
    r'''^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$''', re.X)


class OptionLoader(_SafeLoader):
    """Safe, order-keeping YAML loader for option files."""

    def construct_object(self, node, deep=False):
        # a node met a second time is an alias: the composer shares the anchored node
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, 'aliases (*name) are not allowed in option files; write the value out', node.start_mark)
        return super().construct_object(node, deep=deep)

    def flatten_mapping(self, node):
        # refused before merging: nested merges would expand here, before any alias is constructed
        for key_node, _ in node.value:
            if key_node.tag == 'tag:yaml.org,2002:merge':
                raise yaml.constructor.ConstructorError(
                    None, None, 'merge keys (<<) are not allowed in option files; write the keys out',
                    key_node.start_mark)
        super().flatten_mapping(node)


def _construct_ordered_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = OrderedDict()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f'duplicate option key `{key}` (the second one would silently win)', key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


OptionLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_ordered_mapping)
# replace the YAML 1.1 float rule by one that also accepts 1e-4
OptionLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != 'tag:yaml.org,2002:float']
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
OptionLoader.add_implicit_resolver('tag:yaml.org,2002:float', _FLOAT, list('-+0123456789.'))


class OptionDumper(yaml.SafeDumper):
    """Writes OrderedDicts as plain mappings, in order, and a value shared by two keys twice
    (never as an anchor and alias, which ``OptionLoader`` refuses)."""

    def ignore_aliases(self, data):
        return True


OptionDumper.add_representer(OrderedDict, lambda dumper, data: dumper.represent_dict(data.items()))


def dump_option(opt):
    """``opt`` as option-file text, keys in their order (``load_option_file`` reads it back)."""
    return yaml.dump(opt, Dumper=OptionDumper, sort_keys=False)


def load_option_file(path):
    """Read an option YAML file safely; the error names the file."""
    try:
        with open(path, encoding='utf-8') as f:
            opt = yaml.load(f, Loader=OptionLoader)
    except FileNotFoundError as error:
        raise MissingFileError(f'{path}: option file not found.') from error
    except yaml.YAMLError as error:
        where = ' '.join(str(error).split())  # yaml's message spans lines; a refusal is one
        raise UserError(f'{path}: not a valid option file (safe YAML, no !!python tags): {where}') from error
    if not isinstance(opt, dict):
        raise UserError(f'{path}: an option file must hold a mapping of option keys, got {type(opt).__name__}.')
    return opt


def set_option_key(opt, dotted, value, new_key=True, source='the option file'):
    """Set ``opt[a][b][c] = value`` for ``dotted`` = 'a:b:c' (list items by index).

    Every key but the last must exist, so a misspelt key fails at once instead of
    adding an option BasicSR would silently ignore; a new block is set whole, e.g.
    ``train:anchor_opt={loss_weight: 0.01}``. With ``new_key=False`` the last key must
    exist too (``--force_yml``, where ``train:total_itr=2`` would otherwise leave
    total_iter as it was); the error then names ``source``, the file new keys go in.
    """
    keys = dotted.split(':')
    node = opt
    for depth, key in enumerate(keys):
        where = f"`{':'.join(keys[:depth])}`" if depth else 'the option file'
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise OptionError(dotted, f'{where} is a list of {len(node)}; expected an index below '
                                          f'{len(node)}, got {key!r}.')
            key = int(key)
        elif not isinstance(node, dict):
            raise OptionError(dotted, f'{where} is {node!r}, not a block of options.')
        elif key not in node and (depth < len(keys) - 1 or not new_key):
            close = difflib.get_close_matches(key, [k for k in node if isinstance(k, str)], n=3)
            hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ''
            fix = (f'a new block is set whole, e.g. `{":".join(keys[:depth + 1])}={{...}}`.' if new_key else
                   f'keys are changed here, not added; add new ones to {source}.')
            raise OptionError(dotted, f'{where} has no key {key!r}{hint}; {fix}')
        if depth == len(keys) - 1:
            node[key] = value
        else:
            node = node[key]


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
