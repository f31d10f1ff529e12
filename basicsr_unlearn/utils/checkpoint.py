"""Reading network weights from untrusted files: BasicSR ``params``/``params_ema`` files,
PyTorch Lightning checkpoints (the authors' releases) and plain state dicts.

Files are loaded with ``torch.load(weights_only=True)``, which builds only tensors and
plain containers; the few extra plain types that Lightning or BasicSR files hold are
allow-listed. Nothing in a checkpoint is ever executed.
"""
import argparse
import collections
import os

import torch

from .errors import ExistingFileError, MissingFileError, UserError
from .files import torch_save_atomic

# plain-data types found in Lightning / BasicSR files besides tensors and builtins
SAFE_GLOBALS = [collections.Counter, collections.defaultdict, argparse.Namespace]


def safe_load(path):
    """``torch.load`` on the CPU with ``weights_only=True``; the error names the file."""
    if not os.path.isfile(path):
        raise MissingFileError(f'checkpoint not found: {path}')
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # pickle errors come in many types
        raise UserError(f'{path}: cannot be read as a weights-only checkpoint ({error}). Untrusted code in '
                        'checkpoints is never run; re-save the weights as a plain state dict.') from error


def _is_state_dict(obj):
    return isinstance(obj, dict) and bool(obj) and all(isinstance(v, torch.Tensor) for v in obj.values())


def _strip_common_prefix(state, prefixes=('module.', 'net.', 'model.')):
    for prefix in prefixes:
        if all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def extract_state_dict(obj, param_key='params', path='<checkpoint>'):
    """The network's state dict inside a loaded checkpoint, and where it was found.

    Order: ``param_key`` (BasicSR), then 'params' and 'params_ema', then Lightning's
    'state_dict' (the network is the module's ``net``), then a plain state dict.
    Prefixes 'module.' (DDP), 'net.' and 'model.' (Lightning wrappers) are removed.
    """
    if isinstance(obj, dict):
        for key in dict.fromkeys([param_key, 'params', 'params_ema', 'state_dict']):
            if key is not None and _is_state_dict(obj.get(key)):
                return _strip_common_prefix(dict(obj[key])), key
    if _is_state_dict(obj):
        return _strip_common_prefix(dict(obj)), None
    keys = list(obj)[:10] if isinstance(obj, dict) else type(obj).__name__
    raise UserError(f"{path}: no network weights found (expected BasicSR 'params'/'params_ema', a Lightning "
                    f"'state_dict' or a plain state dict); it holds {keys}.")


def read_state_dict(path, param_key='params'):
    """Returns (state_dict, key it came from) of the weights file at ``path``."""
    return extract_state_dict(safe_load(path), param_key, path)


def describe_mismatch(net, state, path, limit=8):
    """A readable list of missing keys, unexpected keys and shape differences ('' if none)."""
    own = net.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    lines = []
    if missing:
        lines.append(f'{len(missing)} key(s) of {type(net).__name__} missing from the file: {missing[:limit]}')
    if unexpected:
        lines.append(f'{len(unexpected)} key(s) in the file unknown to {type(net).__name__}: {unexpected[:limit]}')
    for k in shapes[:limit]:
        lines.append(f'shape of {k}: network {tuple(own[k].shape)}, file {tuple(state[k].shape)}')
    if len(shapes) > limit:
        lines.append(f'... and {len(shapes) - limit} more shape differences')
    return '' if not lines else f'{path} does not match the network:\n  ' + '\n  '.join(lines)


def refuse_mismatch(report, hint=''):
    """The refusal of weights that do not fit: what differs, then ``hint``, what the caller's user
    can do about it (only the caller knows where the architecture came from)."""
    return UserError(f'{report}\n{hint}' if hint else report)


def load_weights(net, path, strict=True, param_key='params', hint=''):
    """Load ``path`` into ``net``; with ``strict`` any mismatch raises, listing what differs, then ``hint``.

    Without ``strict``, matching keys of matching shape are loaded and the rest is reported.
    Returns the mismatch report ('' when everything matched).
    """
    state, _ = read_state_dict(path, param_key)
    report = describe_mismatch(net, state, path)
    if report and strict:
        raise refuse_mismatch(report, hint)
    own = net.state_dict()
    state = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    net.load_state_dict(state, strict=strict)
    return report


def check_finite_weights(net, path):
    """Refuse weights holding NaN or inf (what a diverged run saves): no number measured on them means anything."""
    bad = [name for name, value in net.state_dict().items()
           if value.is_floating_point() and not torch.isfinite(value).all()]
    if bad:
        raise UserError(f'{path}: {len(bad)} weight tensor(s) hold NaN or inf values, e.g. {bad[:3]}; refusing '
                        'to use them (the run that wrote them diverged).')


def convert_checkpoint(src, dst, net=None, hint=''):
    """Write the weights of ``src`` (Lightning, BasicSR or plain) as a BasicSR ``params`` file.

    With ``net``, the weights must match it exactly (a mismatch ends with ``hint``). ``dst`` is
    never overwritten. Returns the key the weights came from.
    """
    if os.path.exists(dst):
        raise ExistingFileError(f'{dst} exists; not overwriting it.')
    state, key = read_state_dict(src)
    if net is not None:
        report = describe_mismatch(net, state, src)
        if report:
            raise refuse_mismatch(report, hint)
    torch_save_atomic({'params': state}, dst)
    return key
