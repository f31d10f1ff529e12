"""``evaluate``: the original, the unlearned models and (if the user has one) the retrained model,
side by side on one split, with the verdicts and the report."""
from collections import OrderedDict

from ..evaluation.networks import architecture_source, network_from_weights
from ..evaluation.reporting import report_models
from ..tasks import TASKS
from ..utils.option_yaml import load_option_file


def run_evaluate(forget, original, unlearned, retrained=None, opt=None, data_root=None, tasks=None, split='test',
                 out='reports/evaluate'):
    """Evaluate ``original``, ``retrained`` and ``unlearned`` ({label: weights}) for forgetting
    ``forget``; the architecture from ``opt``'s network_g when given. Returns the report's path."""
    network_opt = load_option_file(opt)['network_g'] if opt else None
    specs = OrderedDict(original=original)
    if retrained:
        specs['retrained'] = retrained
    specs.update(unlearned)
    networks, weights = OrderedDict(), OrderedDict()
    for label, spec in specs.items():
        networks[label], weights[label] = network_from_weights(spec, network_opt, source=architecture_source(opt))
    _, path = report_models(networks, forget, data_root, tasks or list(TASKS), out, title='evaluate', split=split,
                            weights=weights)
    return path
