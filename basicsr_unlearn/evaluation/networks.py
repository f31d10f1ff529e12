"""Building a network from a weights file (or a shipped zoo model) for evaluation."""
import glob
from os import path as osp

from basicsr.archs import build_network

from ..compat.option_yaml import load_option_file
from ..utils.checkpoint import load_weights
from ..zoo import zoo_network_opt, zoo_weights

ZOO_PREFIX = 'zoo:'


def experiment_network_opt(weights):
    """``network_g`` of the option file BasicSR copied next to ``experiments/<name>/models/<weights>``."""
    folder = osp.dirname(osp.dirname(osp.abspath(weights)))
    candidates = sorted(glob.glob(osp.join(folder, '*.yml')))
    return load_option_file(candidates[0])['network_g'] if candidates else None


def resolve_weights(spec):
    """'zoo:<name>' -> shipped file; anything else is a path."""
    if isinstance(spec, str) and spec.startswith(ZOO_PREFIX):
        return zoo_weights(spec[len(ZOO_PREFIX):])
    return spec


def load_network(spec, network_opt=None, device='cpu', param_key='params'):
    """(network in eval mode, weights path). The architecture comes from ``network_opt``,
    else from the experiment's option file, else the shipped tiny PromptIR's."""
    weights = resolve_weights(spec)
    network_opt = network_opt or experiment_network_opt(weights) or zoo_network_opt()
    net = build_network(dict(network_opt)).to(device)
    load_weights(net, weights, strict=True, param_key=param_key)
    return net.eval(), weights
