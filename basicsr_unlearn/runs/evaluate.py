"""``evaluate``: the original, the unlearned models and (if the user has one) the retrained model,
side by side on one split, with the verdicts and the report."""
from collections import OrderedDict

from ..evaluation.networks import architecture_source, network_from_weights
from ..evaluation.relearn_audit import budget_words, describe_steps
from ..evaluation.reporting import report_models
from ..tasks import TASKS
from ..utils.options import load_option_file


def run_evaluate(forget, original, unlearned, retrained=None, opt=None, data_root=None, tasks=None, split='test',
                 out='reports/evaluate', audits=(), device='cpu'):
    """Evaluate ``original``, ``retrained`` and ``unlearned`` ({label: weights}) for forgetting
    ``forget`` on ``device``; the architecture from ``opt``'s network_g when given; ``audits`` as
    ``report_models``'.
    Returns the report's path."""
    network_opt = load_option_file(opt)['network_g'] if opt else None
    specs = OrderedDict(original=original)
    if retrained:
        specs['retrained'] = retrained
    specs.update(unlearned)
    networks, weights = OrderedDict(), OrderedDict()
    for label, spec in specs.items():
        networks[label], weights[label] = network_from_weights(spec, network_opt, device,
                                                               source=architecture_source(opt))
    report, path = report_models(networks, forget, data_root, tasks or list(TASKS), out, title='evaluate',
                                 split=split, weights=weights, audits=audits, device=device)
    if 'relearn' in audits:
        print(format_relearn(report['audits']['relearn']))
    return path


def format_relearn(audit):
    """The audit's result on the console: steps to regain the target, per model."""
    lines = [f"\nRelearning audit ({audit['budget']['steps']} steps on {budget_words(audit)}): steps "
             f"until the forgotten tasks' val PSNR is back to {audit['target_psnr']:.2f} dB "
             f"({audit['regain_fraction']:.0%} of the original's gain over the input)"]
    for label, entry in audit['models'].items():
        lines.append(f"  {label:<24} {describe_steps(label, entry['steps_to_regain'], audit['budget']['steps'])}")
    return '\n'.join(lines)
