"""Setting one option of an option dict by its colon-separated key, as the command lines name it."""
from .errors import OptionError


def set_option_key(opt, dotted, value):
    """Set ``opt[a][b][c] = value`` for ``dotted`` = 'a:b:c' (list items by index).

    Every key but the last must exist, so a misspelt key fails at once instead of
    adding an option BasicSR would silently ignore; a new block is set whole, e.g.
    ``train:anchor_opt={loss_weight: 0.01}``.
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
        elif key not in node and depth < len(keys) - 1:
            raise OptionError(dotted, f'{where} has no key {key!r}; a new block is set whole, '
                                      f'e.g. `{":".join(keys[:depth + 1])}={{...}}`.')
        if depth == len(keys) - 1:
            node[key] = value
        else:
            node = node[key]
