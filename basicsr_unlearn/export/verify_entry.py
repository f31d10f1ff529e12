"""``verify``: a zoo entry is what its card says, and the card says what its numbers give.

In order: the publisher's signature, when a public key is given (``publisher_signature.py``: the
one check a forger cannot redo); the card is the one export signed (an edited part is named);
``model_card.md`` and ``test_options.yml`` are what the card gives, byte for byte; the card's
claims hang together (the forgotten tasks are those of its degradation, the thresholds are the
package's, every verdict agrees with the card's own numbers); the weights have the card's sha256.
Then the numbers are measured again, never read from the score cache: the unlearned model and the
degraded inputs always, the original and the retrained model when their weights are at hand
(``--original``/``--retrained``, or a shipped zoo model with the card's sha256). The verdict is
derived again from the measured numbers, and a closing note says which numbers were measured
and which were taken from the card.
"""
import math
import re
from collections import OrderedDict
from functools import lru_cache
from glob import glob
from itertools import zip_longest
from os import path as osp

from ..evaluation.acceptance import EXPORT_TARGETS, TARGETS, missed
from ..evaluation.networks import build_registered, resolve_weights
from ..evaluation.reference_free import EXPORT_CHECKS, EXPORT_THRESHOLDS
from ..evaluation.restoration_metrics import evaluate_network, paired_sources
from ..tasks import task_split
from ..utils import MissingFileError, UserError
from ..utils.checkpoint import load_weights
from ..utils.hashing import sha256_file
from ..utils.numbers import is_finite_number
from ..utils.options import load_option_file
from ..zoo import ZOO_DIR
from .model_card import (CARD_MD, CARD_YML, SIGNATURE, TEST_OPTIONS, card_markdown, card_signature, read_card,
                         test_options_text)
from .publisher_signature import publisher_check

#: how far a re-measured number may lie from the card's (PSNR dB, SSIM): float rounding across machines
PSNR_TOLERANCE, SSIM_TOLERANCE = 0.01, 5e-4
# the card shows a check's measured value to 0.01 dB and keeps PSNRs to 1e-4 dB: a value this close
# to its bound may have been met or missed before rounding
SLACK = 0.006
#: the loosest thresholds a card may claim, per verdict (stricter ones are fine)
THRESHOLDS = {'gold standard': OrderedDict((key, TARGETS[key]) for key in EXPORT_TARGETS),
              'reference-free': EXPORT_THRESHOLDS}
#: roles whose weights verify can measure when it finds them, and the option that gives them
REFERENCES = OrderedDict(original='--original', retrained='--retrained')


def verify_entry(entry, data_root=None, psnr_tolerance=None, ssim_tolerance=SSIM_TOLERANCE, public_key=None,
                 original=None, retrained=None):
    """Returns (ok, lines). Reads the card and the test options with the safe loader, the weights
    weights-only; an entry is untrusted. ``original``/``retrained``: their weights files, to measure
    their numbers too. A 'note' line informs and never fails the entry."""
    psnr_tolerance = PSNR_TOLERANCE if psnr_tolerance is None else psnr_tolerance
    card = read_card(entry)
    load_option_file(entry_file(entry, TEST_OPTIONS))  # refuses !!python tags like the card
    weights = entry_file(entry, card['weights']['file'])
    entry_file(entry, CARD_MD)
    card_signed = signature_checks(card)
    checks = [publisher_check(entry, public_key)] + card_signed
    if all(good for good, _ in card_signed):  # else the card is not export's: nothing in it is worth more
        checks += made_from_card(entry, card)
        try:
            checks += claim_checks(card)
            actual = sha256_file(weights)
            if actual == card['weights']['sha256']:
                checks.append((True, f'weights sha256 matches the card ({actual[:16]}...)'))
                checks += measured(card, weights, data_root, psnr_tolerance, ssim_tolerance,
                                   dict(original=original, retrained=retrained))
            else:
                checks.append((False, f'weights sha256 {actual[:16]}... differs from the card\'s '
                                      f'{card["weights"]["sha256"][:16]}...: the file was altered or replaced.'))
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            checks.append((False, f'{CARD_YML}: not a card this version reads ({error.__class__.__name__}: {error}).'))
    marks = {True: 'ok  ', False: 'FAIL', None: 'note'}
    return all(good is not False for good, _ in checks), [f'{marks[good]} {text}' for good, text in checks]


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


def verdict_of(card):
    return 'gold standard' if 'retrained' in card['evidence'] else 'reference-free'


def derived_tasks(card):
    """(forgotten, retained) tasks as the card's degradation and its evaluated tasks give them."""
    return task_split(list(card['evidence']['unlearned']), card['forgotten']['degradation'])


def claim_checks(card):
    """[(good, text)]: the card's claims hang together, read off its own numbers alone."""
    problems = structure_problems(card)
    if not problems:
        problems = verdict_problems(card, psnr_table(card), card['evidence']['input_psnr'], SLACK, "the card's PSNRs")
        problems += reference_free_problems(card, card['evidence'].get('reference_free', []))
    if not problems:
        return [(True, f'the claims of {CARD_YML} agree with its numbers (tasks, thresholds, verdicts)')]
    return [(False, f"{CARD_YML}: {problem.rstrip('.')}.") for problem in problems]


def structure_problems(card):
    """The forgotten and retained tasks are those of the degradation, every role has every task, and the
    thresholds are no looser than the package's for the card's verdict."""
    ev, export = card['evidence'], card['export']
    try:
        forget_tasks, retain_tasks = derived_tasks(card)
    except UserError as error:
        return [f"forgotten.degradation {card['forgotten']['degradation']!r}: {error}"]
    problems = []
    if card['forgotten']['tasks'] != forget_tasks:
        problems.append(f"forgotten.tasks is {card['forgotten']['tasks']}, but forgetting "
                        f"{card['forgotten']['degradation']!r} forgets {forget_tasks}")
    if card['retained'] != retain_tasks:
        problems.append(f"retained is {card['retained']}, but the evaluated tasks leave {retain_tasks}")
    tasks = forget_tasks + retain_tasks
    for role in ('original', 'retrained', 'unlearned', 'input_psnr'):
        if role in ev and sorted(ev[role]) != sorted(tasks):
            problems.append(f'evidence.{role} holds {sorted(ev[role])}, expected every task {sorted(tasks)}')
    verdict = verdict_of(card)
    if export['verdict'] != verdict:
        problems.append(f"export.verdict is {export['verdict']!r}, but the evidence gives the {verdict} verdict")
    loosest, claimed = THRESHOLDS[verdict], export['thresholds']
    if not isinstance(claimed, dict) or sorted(claimed) != sorted(loosest):
        problems.append(f'export.thresholds {claimed!r}: expected the {verdict} keys {list(loosest)}')
    else:
        problems += [f'export.thresholds.{key} is {claimed[key]!r}, looser than this version\'s {limit}'
                     for key, limit in loosest.items()
                     if not is_finite_number(claimed[key]) or not 0 <= claimed[key] <= limit]
    return problems


def psnr_table(card):
    """{role: {task: PSNR}} of the card's evidence."""
    return {role: {task: v['psnr'] for task, v in card['evidence'][role].items()}
            for role in ('original', 'retrained', 'unlearned') if role in card['evidence']}


def restoration_checks(card, psnr, input_psnr):
    """(check, value, low, high) of every restoration check the card's verdict holds, from
    ``psnr`` ({role: {task: dB}}) and the inputs' PSNR; met when ``low <= value <= high``."""
    t = card['export']['thresholds']
    forget_tasks, retain_tasks = derived_tasks(card)
    if verdict_of(card) == 'gold standard':
        rows = [(f'forget gap {task}', abs(psnr['unlearned'][task] - psnr['retrained'][task]), -math.inf,
                 t['forget_gap_db']) for task in forget_tasks]
    else:
        rows = [(f'forgotten {task} vs input', psnr['unlearned'][task] - input_psnr[task], -t['forget_below_input_db'],
                 t['forget_above_input_db']) for task in forget_tasks]
    return rows + [(f'retain change {task}', psnr['unlearned'][task] - psnr['original'][task], -t['retain_drop_db'],
                    math.inf) for task in retain_tasks]


def verdict_problems(card, psnr, input_psnr, slack, numbers):
    """The violations (and ``forced``) are exactly the restoration checks that ``numbers`` (the card's,
    or the measured PSNRs) miss; a value within ``slack`` of its bound may go either way."""
    violations, export = card['export']['violations'], card['export']
    problems, explained = [], set()
    for check, value, low, high in restoration_checks(card, psnr, input_psnr):
        listed = [v for v in violations if v.startswith(check + ' ')]
        explained.update(listed)
        if listed and low + slack <= value <= high - slack:
            problems.append(f'{check}: listed as missed, but {numbers} give {value:+.2f} dB, within its target')
        elif not listed and (value < low - slack or value > high + slack):
            problems.append(f'{check}: {numbers} give {value:+.2f} dB, which misses the thresholds, but it is not '
                            'listed as missed')
    problems += [f'violation {v!r} is no check of the card' for v in violations if v not in explained]
    if export['forced'] != bool(violations):
        problems.append(f"export.forced is {export['forced']} with {len(violations)} violations")
    return problems


def numbers(text):
    return [float(n) for n in re.findall(r'[-+]?\d+(?:\.\d+)?', str(text))]


def reference_free_problems(card, rows):
    """Each reference-free row's met flag agrees with its measured value and target, and its measured
    value with the card's PSNRs (the texts are those of ``reference_free_checks``); a card with the
    reference-free verdict holds one row per task."""
    ev = card['evidence']
    forget_tasks, retain_tasks = derived_tasks(card)
    psnr = psnr_table(card)
    derived = dict(forget_vs_input=[psnr['unlearned'][t] - ev['input_psnr'][t] for t in forget_tasks],
                   retain_drop_db=[psnr['unlearned'][t] - psnr['original'][t] for t in retain_tasks])
    problems = []
    for key, values in derived.items():
        keyed = [row for row in rows if row.get('target_key') == key]
        if (rows or verdict_of(card) == 'reference-free') and len(keyed) != len(values):
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
    if verdict_of(card) == 'reference-free' and card['export']['violations'] != missed(rows, EXPORT_CHECKS):
        problems.append('export.violations are not the missed checks of evidence.reference_free')
    return problems


def bounds(row):
    """(value, low, high) of a reference-free row, met when ``low <= value <= high``; None if unreadable."""
    measured, target, key = numbers(row['measured']), numbers(row['target']), row.get('target_key')
    if key == 'forget_vs_input' and measured and len(target) == 2:
        return measured[0], target[0], target[1]
    if key in ('retain_drop_db', 'retain_median_db') and measured and target:
        return measured[0], target[0], math.inf
    if key == 'retain_collapsed_share' and measured and target:  # percent of the images
        return measured[0], -math.inf, target[0]
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


@lru_cache(maxsize=None)
def shipped_by_sha256():
    """{sha256: path} of every weights file the package ships (its zoos)."""
    return {sha256_file(path): path for path in sorted(glob(osp.join(ZOO_DIR, '**', '*.pth'), recursive=True))}


def expected_sha256(card, role):
    """The sha256 the card records for the original (its start) or the retrained model (None: not recorded)."""
    recorded = (card['evidence'].get('weights_sha256') or {}).get(role)
    return recorded or (card['start']['sha256'] if role == 'original' else None)


def reference_weights(card, role, given):
    """(weights path or None, [(good, text)]): the file of ``role`` to measure, given by its option
    or found among the shipped models by the sha256 the card records."""
    expected = expected_sha256(card, role)
    if given is None:
        return shipped_by_sha256().get(expected), []
    given = resolve_weights(given)
    if not osp.isfile(given):
        raise MissingFileError(f'{REFERENCES[role]} {given}: no such weights file.')
    actual = sha256_file(given)
    if expected is not None and actual != expected:
        return None, [(False, f'{REFERENCES[role]} {given} has sha256 {actual[:16]}..., but the card\'s {role} model '
                              f'has {expected[:16]}...: not the model this entry was judged against')]
    return given, []


def measure(card, weights, data_root):
    """{task: {psnr, ssim, input_psnr}} of ``weights`` (the card's architecture) on its test data, afresh."""
    net = build_registered(card['architecture'], f'{CARD_YML} architecture')
    load_weights(net, weights, strict=True)
    evidence = card['evidence']
    return evaluate_network(net, paired_sources(data_root or evidence['data_root'], list(evidence['unlearned']),
                                                evidence['split']), cache=False)


def measured(card, weights, data_root, psnr_tolerance, ssim_tolerance, given):
    """[(good, text)]: the weights (and the degraded inputs, and every reference model at hand) give
    the card's numbers on the test data, and those measured numbers give the card's verdict."""
    evidence, checks = card['evidence'], []
    files = OrderedDict(unlearned=weights)
    for role in REFERENCES:
        if role in evidence:
            path, problems = reference_weights(card, role, given.get(role))
            checks += problems
            if path is not None:
                files[role] = path
    psnr, input_psnr = psnr_table(card), dict(evidence['input_psnr'])
    for role, path in files.items():
        scores = measure(card, path, data_root)
        for task, claimed in evidence[role].items():
            rows = [('psnr', claimed['psnr'], psnr_tolerance), ('ssim', claimed['ssim'], ssim_tolerance)]
            if role == 'unlearned':
                rows.append(('input_psnr', evidence['input_psnr'][task], psnr_tolerance))
            for metric, card_value, tolerance in rows:
                got = scores[task][metric]
                text = f'{role:<9} {task:<8} {metric} card {card_value:.4f} now {got:.4f} (tolerance {tolerance})'
                checks.append((abs(got - card_value) <= tolerance, text))
            psnr[role][task] = scores[task]['psnr']
            if role == 'unlearned':
                input_psnr[task] = scores[task]['input_psnr']
    try:
        problems = verdict_problems(card, psnr, input_psnr, 2 * psnr_tolerance + SLACK, 'the measured PSNRs')
    except UserError as error:  # a degradation this version does not know: the claims check named it
        problems = [str(error)]
    checks += [(False, f"verdict from the measured numbers: {p.rstrip('.')}.") for p in problems] or [
        (True, f"the measured numbers give the card's verdict ({card['export']['verdict']}, "
               f"{len(card['export']['violations'])} violations)")]
    taken = [f'{role} PSNR/SSIM (give {option})' for role, option in REFERENCES.items()
             if role in evidence and role not in files] + ['membership AUCs']
    checks.append((None, f"re-measured: {', '.join(list(files) + ['input'])}; taken from the card: {', '.join(taken)}"))
    return checks
