"""Setting one option of an option dict by its colon-separated key, as the command lines name it."""
import difflib

from .errors import OptionError


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
