"""Building a network from a weights file (or a shipped zoo model) for evaluation."""
import glob
from os import path as osp

from basicsr.archs import build_network

from ..compat.option_yaml import load_option_file
from ..utils import UserError
from ..utils.checkpoint import check_finite_weights, load_weights
from ..zoo import DEFAULT_BENCHMARK, zoo_network_opt, zoo_weights

ZOO_PREFIX = 'zoo:'


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


def load_network(spec, network_opt=None, device='cpu', param_key='params'):
    """(network in eval mode, weights path). The architecture comes from ``network_opt``,
    else from the experiment's option file, else the shipped tiny PromptIR's. Weights that do
    not fit it, or hold NaN or inf, are refused with the file named."""
    weights = resolve_weights(spec)
    source = 'the given option file'
    if network_opt is None:
        network_opt, source = experiment_network_opt(weights)
        if network_opt is None:
            network_opt, source = zoo_network_opt(), "the shipped tiny PromptIR (no option file beside the weights)"
    net = build_network(dict(network_opt)).to(device)
    try:
        load_weights(net, weights, strict=True, param_key=param_key)
    except UserError as error:
        raise UserError(f'{error}\nThe architecture came from {source}; give the one of these weights with --opt.') \
            from error
    check_finite_weights(net, weights)
    return net.eval(), weights
