"""``verify``: re-run a zoo entry's evaluation and check every number and the weights' hash."""
from os import path as osp

from basicsr.archs import build_network

from ..compat.option_yaml import load_option_file
from ..evaluation.restoration_metrics import evaluate_network, paired_sources
from ..utils.checkpoint import load_weights
from ..utils.hashing import sha256_file
from .model_card import read_card


def verify_entry(entry, data_root=None, psnr_tolerance=0.01, ssim_tolerance=5e-4):
    """Returns (ok, lines). Reads the card and the test options with the safe loader,
    the weights weights-only; an entry is untrusted."""
    card = read_card(entry)
    load_option_file(osp.join(entry, 'test_options.yml'))  # refuses !!python tags like the card
    lines, ok = [], True
    weights = osp.join(entry, card['weights']['file'])
    actual = sha256_file(weights)
    if actual != card['weights']['sha256']:
        return False, [f'FAIL weights sha256 {actual[:16]}... differs from the card\'s '
                       f'{card["weights"]["sha256"][:16]}...: the file was altered or replaced.']
    lines.append(f'ok   weights sha256 matches the card ({actual[:16]}...)')
    net = build_network(dict(card['architecture']))
    load_weights(net, weights, strict=True)
    evidence = card['evidence']
    data_root = data_root or evidence['data_root']
    scores = evaluate_network(net, paired_sources(data_root, list(evidence['unlearned']), evidence['split']))
    for task, claimed in evidence['unlearned'].items():
        for metric, tolerance in (('psnr', psnr_tolerance), ('ssim', ssim_tolerance)):
            got = scores[task][metric]
            good = abs(got - claimed[metric]) <= tolerance
            ok &= good
            lines.append(f"{'ok  ' if good else 'FAIL'} {task:<8} {metric} card {claimed[metric]:.4f} now {got:.4f}"
                         f" (tolerance {tolerance})")
    return ok, lines
