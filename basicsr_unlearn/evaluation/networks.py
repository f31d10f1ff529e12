"""Building a network from a weights file (or a shipped zoo model) for evaluation."""
import glob
from os import path as osp

from basicsr.archs import build_network
from basicsr.utils.registry import ARCH_REGISTRY

from ..utils import UserError
from ..utils.checkpoint import check_finite_weights, convert_checkpoint, load_weights
from ..utils.options import load_option_file
from ..zoo import DEFAULT_BENCHMARK, zoo_network_opt, zoo_weights

ZOO_PREFIX = 'zoo:'
SHIPPED_NETWORK = 'the shipped tiny PromptIR'


def experiment_network_opt(weights):
    """``network_g`` of the option file BasicSR copied beside ``experiments/<name>/models/<weights>``,
    or None when the weights do not sit in such a folder or no option file there has one."""
    models = osp.dirname(osp.abspath(weights))
    if osp.basename(models) != 'models':
        return None, None
    for candidate in sorted(glob.glob(osp.join(osp.dirname(models), '*.yml'))):
        try:
            network_opt = load_option_file(candidate).get('network_g')
        except UserError:
            continue
        if isinstance(network_opt, dict):
            return network_opt, candidate
    return None, None


def resolve_weights(spec):
    """'zoo:<name>' (mini benchmark) or 'zoo:<benchmark>/<name>' -> shipped file; anything else is a path."""
    if isinstance(spec, str) and spec.startswith(ZOO_PREFIX):
        benchmark, _, name = spec[len(ZOO_PREFIX):].rpartition('/')
        return zoo_weights(name, benchmark or DEFAULT_BENCHMARK)
    return spec


def architecture_source(opt=None, arch=None):
    """Where a command's architecture came from, as its refusals name it: the ``--opt`` file,
    the ``--arch`` name, else the shipped default."""
    if opt:
        return f'network_g of {opt}'
    if arch:
        return f'--arch {arch} (its default arguments)'
    return f'{SHIPPED_NETWORK} (the default: no --opt or --arch given)'


def chosen_architecture(opt=None, arch=None, command='forget'):
    """(network_g or None, where it came from) of a command's ``--opt`` file or ``--arch`` name; None:
    the command's own default (the shipped tiny PromptIR, or none)."""
    if opt and arch:
        raise UserError(f'{command}: give the architecture with --opt or with --arch, not both.')
    network_opt = load_option_file(opt)['network_g'] if opt else ({'type': arch} if arch else None)
    return network_opt, architecture_source(opt, arch)


def convert_to_params(src, dst, opt=None, arch=None):
    """``convert-checkpoint``: ``src`` written as a BasicSR ``params`` file ``dst``, checked against the
    architecture of ``opt``/``arch`` when one is given. Returns what was done, in one line."""
    network_opt, source = chosen_architecture(opt, arch, 'convert-checkpoint')
    net = build_registered(network_opt, source) if network_opt is not None else None
    key = convert_checkpoint(src, dst, net, hint=architecture_hint(source))
    return (f'{src} [{key or "plain state dict"}] -> {dst} [params]' +
            (f'; matches {type(net).__name__} exactly' if net is not None else ''))


def architecture_hint(source):
    """What a command adds to a refusal of weights that do not fit its architecture from ``source``."""
    return f'The architecture came from {source}; give the one of these weights with --opt.'


def build_registered(network_opt, source=None):
    """``build_network`` of ``network_opt``, refusing a ``type`` no architecture is registered under
    by name (and by ``source``, where it came from) instead of the registry's KeyError."""
    arch = network_opt.get('type') if isinstance(network_opt, dict) else None
    if not isinstance(arch, str) or arch not in ARCH_REGISTRY:
        raise UserError(f'architecture {arch!r} ({source or "network_g"}) is not a registered architecture; '
                        f'expected one of {sorted(ARCH_REGISTRY.keys())}.')
    return build_network(dict(network_opt))


def network_from_weights(spec, network_opt=None, device='cpu', param_key='params', source=None):
    """(network in eval mode, weights path). The architecture comes from ``network_opt``,
    else from the experiment's option file, else the shipped tiny PromptIR's. Weights that do
    not fit it, or hold NaN or inf, are refused with the file named.

    A command passes ``source`` (``architecture_source``) with its ``network_opt``, so that a
    refusal says where the architecture came from and how to give another; without it (the zoo's
    and the runs' own architectures) a refusal only lists what differs.
    """
    weights = resolve_weights(spec)
    if network_opt is None:
        network_opt, found = experiment_network_opt(weights)
        if network_opt is None:
            network_opt = zoo_network_opt()
            source = f'{SHIPPED_NETWORK} (no --opt given, and no option file beside the weights)'
        else:
            source = f'network_g of {found}, the option file beside the weights'
    net = build_registered(network_opt, source).to(device)
    load_weights(net, weights, strict=True, param_key=param_key, hint=architecture_hint(source) if source else '')
    check_finite_weights(net, weights)
    return net.eval(), weights
