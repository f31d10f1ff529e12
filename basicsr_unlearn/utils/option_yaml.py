"""Safe YAML loading of option files, with the number syntax people actually write.

BasicSR 1.4.2 reads options with PyYAML's full loader, which runs ``!!python/...``
tags (a downloaded option file could execute code), and PyYAML's YAML 1.1 rules
read ``1e-4`` as the *string* '1e-4' (it wants ``1.0e-4``), which then breaks the
optimizer. ``OptionLoader`` is a safe loader that keeps key order, rejects
duplicate keys and reads ``1e-4``, ``2e3`` and ``.5`` as floats.

It also refuses aliases (``*name``) and merge keys (``<<``): option files do not need
them, and a few lines of nested aliases ("billion laughs") expand to gigabytes in
whatever walks the options afterwards (BasicSR prints and copies them).
"""
import re
from collections import OrderedDict

import yaml

from .errors import MissingFileError, UserError

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
