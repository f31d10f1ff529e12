"""``verify``: a zoo entry is what its card says, and the card says what its numbers give.

In order: the card is the one export signed (an edited part is named); ``model_card.md`` and
``test_options.yml`` are what the card gives, byte for byte; every verdict of the card agrees with
the card's own numbers; the weights have the card's sha256, and re-evaluated on the test data they
(and the degraded inputs) give the card's numbers. The signature is no secret, so the verdicts are
re-derived and the numbers re-measured rather than trusted.
"""
import re
from itertools import zip_longest
from math import inf
from os import path as osp

from basicsr.archs import build_network

from ..evaluation.acceptance import EXPORT_TARGETS, TARGETS, acceptance_checks, missed
from ..evaluation.reference_free import EXPORT_CHECKS
from ..evaluation.restoration_metrics import evaluate_network, paired_sources
from ..utils import MissingFileError
from ..utils.checkpoint import load_weights
from ..utils.hashing import sha256_file
from ..utils.option_yaml import load_option_file
from .model_card import (CARD_MD, CARD_YML, SIGNATURE, TEST_OPTIONS, card_markdown, card_signature, read_card,
                         test_options_text)

# the card shows a check's measured value to 0.01 dB and keeps PSNRs to 1e-4 dB: a value this close
# to its bound may have been met or missed before rounding
SLACK = 0.006


def verify_entry(entry, data_root=None, psnr_tolerance=0.01, ssim_tolerance=5e-4):
    """Returns (ok, lines). Reads the card and the test options with the safe loader,
    the weights weights-only; an entry is untrusted."""
    card = read_card(entry)
    load_option_file(entry_file(entry, TEST_OPTIONS))  # refuses !!python tags like the card
    weights = entry_file(entry, card['weights']['file'])
    entry_file(entry, CARD_MD)
    checks = signature_checks(card)
    if all(good for good, _ in checks):  # else the card is not export's: nothing in it is worth re-deriving
        checks += made_from_card(entry, card) + verdict_checks(card)
        actual = sha256_file(weights)
        if actual == card['weights']['sha256']:
            checks.append((True, f'weights sha256 matches the card ({actual[:16]}...)'))
            checks += measured(card, weights, data_root, psnr_tolerance, ssim_tolerance)
        else:
            checks.append((False, f'weights sha256 {actual[:16]}... differs from the card\'s '
                                  f'{card["weights"]["sha256"][:16]}...: the file was altered or replaced.'))
    return all(good for good, _ in checks), [f"{'ok  ' if good else 'FAIL'} {text}" for good, text in checks]


def entry_file(entry, name):
    path = osp.join(entry, name)
    if not osp.isfile(path):
        raise MissingFileError(f'{path}: missing from the entry (it holds {CARD_MD}, {TEST_OPTIONS} and the '
                               f'weights its {CARD_YML} names).')
    return path


def signature_checks(card):
    """[(good, text)]: the card's parts are those export signed."""
    stored = card.get(SIGNATURE)
    if not isinstance(stored, dict) or not isinstance(stored.get('parts'), dict):
        return [(False, f'{CARD_YML} is not signed (made before entries were, or the signature was removed): '
                        'export the entry again.')]
    now = card_signature(card)
    edited = [key for key in list(now['parts']) + [k for k in stored['parts'] if k not in now['parts']]
              if now['parts'].get(key) != stored['parts'].get(key)]
    if not edited and stored.get('sha256') != now['sha256']:
        edited = [SIGNATURE]
    if edited:
        return [(False, f"{CARD_YML}: edited after export ({', '.join(edited)} not as export signed).")]
    return [(True, f"{CARD_YML} is the card export signed ({now['sha256'][:16]}...)")]


def made_from_card(entry, card):
    """[(good, text)]: model_card.md and test_options.yml are, byte for byte, what the card gives."""
    checks = []
    for name, text in ((CARD_MD, card_markdown(card)), (TEST_OPTIONS, test_options_text(card))):
        with open(osp.join(entry, name), 'rb') as f:
            actual = f.read()
        if actual == text.encode('utf-8'):
            checks.append((True, f'{name} is what {CARD_YML} gives'))
            continue
        line = next(i for i, (a, b) in enumerate(zip_longest(text.encode('utf-8').splitlines(keepends=True),
                                                             actual.splitlines(keepends=True)), 1) if a != b)
        checks.append((False, f'{name} differs from what {CARD_YML} gives, from line {line} on: edited after export.'))
    return checks


def verdict_checks(card):
    """[(good, text)]: the export's verdict, its violations and every met flag agree with the card's numbers."""
    ev, export = card['evidence'], card['export']
    verdict = 'gold standard' if 'retrained' in ev else 'reference-free'
    problems = []
    if export['verdict'] != verdict:
        problems.append(f"export.verdict is {export['verdict']!r}, but the evidence gives the {verdict} verdict")
    if export['forced'] != bool(export['violations']):
        problems.append(f"export.forced is {export['forced']} with {len(export['violations'])} violations")
    rows = ev.get('reference_free', [])
    problems += reference_free_problems(card, rows)
    if verdict == 'gold standard':
        problems += gold_standard_problems(card)
    elif export['violations'] != missed(rows, EXPORT_CHECKS):
        problems.append('export.violations are not the missed checks of evidence.reference_free')
    if not problems:
        return [(True, f"the verdicts of {CARD_YML} agree with its numbers")]
    return [(False, f'{CARD_YML}: {problem}.') for problem in problems]


def numbers(text):
    return [float(n) for n in re.findall(r'[-+]?\d+(?:\.\d+)?', str(text))]


def reference_free_problems(card, rows):
    """Each reference-free row's met flag agrees with its measured value and target, and its measured
    value with the card's PSNRs (the texts are those of ``reference_free_checks``)."""
    ev = card['evidence']
    psnr = {role: {task: v['psnr'] for task, v in ev[role].items()} for role in ('original', 'unlearned')}
    derived = dict(forget_vs_input=[psnr['unlearned'][t] - ev['input_psnr'][t] for t in card['forgotten']['tasks']],
                   retain_drop_db=[psnr['unlearned'][t] - psnr['original'][t] for t in card['retained']])
    problems = []
    for key, values in derived.items():
        keyed = [row for row in rows if row.get('target_key') == key]
        if rows and len(keyed) != len(values):
            problems.append(f'evidence.reference_free holds {len(keyed)} {key} checks for {len(values)} tasks')
        for row, value in zip(keyed, values):
            shown = numbers(row['measured'])
            if not shown or abs(shown[0] - value) > SLACK:
                problems.append(f"{row['check']}: measured {row['measured']}, but the card's PSNRs give "
                                f'{value:+.2f} dB')
    for row in rows:
        span = bounds(row)
        if span is None:
            problems.append(f"{row['check']}: not a check this version reads ({row['measured']}, target "
                            f"{row['target']})")
        elif not agrees(row['met'], *span):
            problems.append(f"{row['check']}: {'met' if row['met'] else 'missed'}, but {row['measured']} is "
                            f"{'outside' if row['met'] else 'within'} its target {row['target']}")
    return problems


def bounds(row):
    """(value, low, high) of a reference-free row, met when ``low <= value <= high``; None if unreadable."""
    measured, target, key = numbers(row['measured']), numbers(row['target']), row.get('target_key')
    if key == 'forget_vs_input' and measured and len(target) == 2:
        return measured[0], target[0], target[1]
    if key == 'retain_drop_db' and measured and target:
        return measured[0], target[0], inf
    if key == 'membership_vs_chance' and len(measured) == 3 and target:  # chance inside the AUC's interval
        return target[0], measured[1], measured[2]
    return None


def agrees(met, value, low, high):
    """A met flag agrees with ``low <= value <= high`` unless the value lies within ``SLACK`` of a bound."""
    if low + SLACK <= value <= high - SLACK:
        return met
    if value < low - SLACK or value > high + SLACK:
        return not met
    return True


def gold_standard_problems(card):
    """The violations are the gold standard's checks that the card's PSNRs miss (with its thresholds)."""
    ev, export = card['evidence'], card['export']
    psnr = {role: {task: v['psnr'] for task, v in ev[role].items()} for role in ('original', 'retrained', 'unlearned')}
    gap = dict(forget_gap={t: abs(psnr['unlearned'][t] - psnr['retrained'][t]) for t in card['forgotten']['tasks']},
               retain_change={t: psnr['unlearned'][t] - psnr['original'][t] for t in card['retained']},
               mia_gap=abs(ev['membership_auc']['unlearned'] - ev['membership_auc']['retrained']))
    strict, lenient = (acceptance_checks(gap, targets=dict(TARGETS, **{key: export['thresholds'][key] + shift
                                                                       for key in EXPORT_TARGETS}))
                       for shift in (-SLACK, SLACK))
    problems, explained = [], set()
    for row, lenient_row in zip(strict, lenient):
        if row['target_key'] not in EXPORT_TARGETS:
            continue
        listed = [v for v in export['violations'] if v.startswith(row['check'] + ' ')]
        explained.update(listed)
        if listed and row['met']:
            problems.append(f"{row['check']}: listed as missed, but the card's PSNRs give {row['measured']}")
        elif not listed and not lenient_row['met']:
            problems.append(f"{row['check']}: the card's PSNRs give {row['measured']}, which misses the thresholds, "
                            'but it is not listed as missed')
    return problems + [f'violation {v!r} is no check of the card' for v in export['violations'] if v not in explained]


def measured(card, weights, data_root, psnr_tolerance, ssim_tolerance):
    """[(good, text)]: the weights, and the degraded inputs, give the card's numbers on the test data."""
    net = build_network(dict(card['architecture']))
    load_weights(net, weights, strict=True)
    evidence = card['evidence']
    scores = evaluate_network(net, paired_sources(data_root or evidence['data_root'], list(evidence['unlearned']),
                                                  evidence['split']))
    checks = []
    for task, claimed in evidence['unlearned'].items():
        for metric, card_value, tolerance in (('psnr', claimed['psnr'], psnr_tolerance),
                                              ('ssim', claimed['ssim'], ssim_tolerance),
                                              ('input_psnr', evidence['input_psnr'][task], psnr_tolerance)):
            got = scores[task][metric]
            checks.append((abs(got - card_value) <= tolerance, f'{task:<8} {metric} card {card_value:.4f} now '
                                                               f'{got:.4f} (tolerance {tolerance})'))
    return checks
