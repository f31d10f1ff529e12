"""Fill the generated tables of README.md and docs/*.md from the committed result data.

A generated table sits between ``<!-- table: KIND SOURCE -->`` and ``<!-- /table -->``;
this script rewrites what is between them from SOURCE (a file under ``benchmarks/`` or the
zoo manifest). Tables are never typed by hand: change the data (re-run the command that
wrote it), then run

    python tools/generate_docs_tables.py           # rewrite the tables
    python tools/generate_docs_tables.py --check   # list stale tables, exit 1 if any

Kinds: ``round`` (a tuning round's summary, benchmarks/rounds/roundNN.json), ``rounds`` (what
every round decided, from the specs benchmarks/rounds/roundNN.yml), ``benchmark``
(a forgotten task's comparison, benchmarks/results/forget_<task>.json), ``summary`` (one
line per forgotten task, from the three benchmark files), ``seeded``, ``seeded-verdict`` (its verdict
part) and ``seeded-summary`` (the same over seeds, ``benchmark --seeds``: benchmarks/results/<zoo>/), ``agreement`` and
``agreement-summary`` (benchmarks/reference_free_agreement.py), ``lr-ends``, ``step-cost``,
``reproducibility`` (two files of benchmarks/reproducibility.py: before and now), ``throughput``
(benchmarks/throughput.py), ``train-profile`` (benchmarks/train_step_profile.py), ``learning-curves``
(benchmarks/learning_curves.py), ``seeded-variants`` (benchmarks/stop_rule.py,
benchmarks/sequential_requests.py), ``relearn-audit`` (benchmarks/relearn_audit.py),
``published-cost`` (benchmarks/published_cost.py), ``yardstick`` (benchmarks/membership_yardstick.py),
``forget-defaults`` (benchmarks/forget_defaults.py), ``retain-fixes`` (benchmarks/retain_fixes.py)
and ``zoo`` (a zoo's manifest.json).
"""
import glob
import json
import re
import statistics
import sys
from collections import OrderedDict
from os import path as osp

from basicsr_unlearn.evaluation.acceptance import acceptance_checks
from basicsr_unlearn.runs.benchmark import spread_of
from basicsr_unlearn.tasks import FORGETTABLE, TASK_GROUPS
from basicsr_unlearn.zoo import ORIGINAL, load_manifest

import generated_files

REPO = generated_files.REPO
BLOCK = re.compile(r'(<!-- table: (\S+) ([^>]+?) -->\n)(.*?)(<!-- /table -->)', re.S)
BASELINES = ('original', 'retrained')


def load(source):
    with open(osp.join(REPO, source), encoding='utf-8') as f:
        return json.load(f)


def markdown_table(header, rows):
    return '\n'.join(['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)] +
                     ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows])


def num(value, fmt):
    return '-' if value is None else format(value, fmt)


def round_table(source):
    data = load(source)
    rows = []
    for sweep in data['sweeps']:
        candidates = [v for v in sweep['variants'] if not v.get('reference') and v.get('val_avg_gap') is not None]
        best = min(candidates, key=lambda v: v['val_avg_gap']) if candidates else None
        seeds = 'seeds ' + ' '.join(map(str, sweep['seeds'])) if sweep.get('seeds') else 'seed of the file'
        for v in sweep['variants']:
            label = f"{v['label']} (reference)" if v.get('reference') else v['label']
            gap = num(v.get('val_avg_gap'), '.2f')
            if v is best:
                label, gap = f'**{label}**', f'**{gap}**'
            forget = ' / '.join(f'{x:.2f}' for x in (v.get('val_forget_gap') or {}).values()) or '-'
            retain = ', '.join(f'{t} {x:+.2f}' for t, x in (v.get('val_retain_change') or {}).items()) or '-'
            rows.append([sweep['task'], sweep.get('method', 'ours'), label, gap,
                         num(v.get('val_avg_gap_spread'), '.2f'), seeds, forget, retain,
                         num(v.get('val_mia_gap'), '.3f')])
    table = markdown_table(['task', 'method', 'variant', 'val Avg. Gap', 'spread', 'runs', 'forget gap (dB)',
                            'retain change (dB)', 'MIA gap'], rows)
    notes = [f"- {v['label']}: {v['note']}" for s in data['sweeps'] for v in s['variants'] if v.get('note')]
    parts = [f"**Question.** {data['why']}", '', table, '', f"**Decision.** {data['decision']}", '']
    if notes:
        parts += ['Notes:', ''] + notes + ['']
    on = f"; on {data['benchmark']}, val split" if data.get('benchmark') else ''
    parts.append(f"_Spec `{data['spec']}`; {data['provenance']}{on}; {describe_machine(data['machine'])}._")
    return '\n'.join(parts)


def describe_machine(machine):
    if isinstance(machine, dict):
        return f"{machine.get('cpu')}, {machine.get('threads')} threads, torch {machine.get('torch')}"
    return machine


def benchmark_table(source):
    data = load(source)
    tasks = data['tasks']
    rows = []
    for label, m in data['models'].items():
        rows.append([label] + [f"{m['psnr'][t]:.2f} / {m['ssim'][t]:.3f}" for t in tasks] +
                    [f"{m['mia_auc']:.3f}", f"{m['avg_gap']:.2f}", num(m.get('time_fraction') and
                                                                       100 * m['time_fraction'], '.1f'),
                     num(m.get('lr'), 'g')])
    rows.append(['degraded input'] + [f"{data['input_psnr'][t]:.2f}" for t in tasks] + ['', '', '', ''])
    table = markdown_table(['model'] + [f'{t} PSNR / SSIM' for t in tasks] +
                           ['MIA AUC', 'Avg. Gap', 'time (% of retraining)', 'lr (chosen on val)'], rows)
    lines = [table, '', f"_`{data['command']}`; {data['split']} split; {data['provenance']}; "
                        f"{describe_machine(data['machine'])}._"]
    if data.get('note'):
        lines[-1] = lines[-1][:-2] + f"; {data['note']}._"
    for update in data.get('updates', []):
        lines.append(f"_Rows {', '.join(update['models'])} re-run since: `{update['command']}`; "
                     f"{describe_machine(update['machine'])}._")
    return '\n'.join(lines)


def gap_of(data, label):
    """A ``gaps()`` entry rebuilt from a benchmark summary (PSNR in dB as kept there)."""
    forget_tasks = TASK_GROUPS[data['task']]
    m, original, retrained = data['models'][label], data['models']['original'], data['models']['retrained']
    return dict(forget_gap={t: abs(m['psnr'][t] - retrained['psnr'][t]) for t in forget_tasks},
                retain_change={t: m['psnr'][t] - original['psnr'][t] for t in data['tasks'] if t not in forget_tasks},
                mia_gap=abs(m['mia_auc'] - retrained['mia_auc']))


def summary_table(_source):
    rows = []
    for task in FORGETTABLE:
        data = load(f'benchmarks/results/forget_{task}.json')
        methods = OrderedDict((k, v) for k, v in data['models'].items() if k not in BASELINES)
        ranked = sorted(methods, key=lambda k: methods[k]['avg_gap'])
        peer = next(k for k in ranked if k != 'ours')
        met = {k: sum(c['met'] for c in acceptance_checks(gap_of(data, k), methods[k])) for k in methods}
        gap = gap_of(data, 'ours')
        best_peer_met = max(v for k, v in met.items() if k != 'ours')
        rows.append([task, f"{methods['ours']['avg_gap']:.2f} ({ranked.index('ours') + 1} of {len(methods)})",
                     f"{peer} {methods[peer]['avg_gap']:.2f}", f"{data['models']['original']['avg_gap']:.2f}",
                     ' / '.join(f'{v:.2f}' for v in gap['forget_gap'].values()),
                     f"{min(gap['retain_change'].values()):+.2f}", f"{gap['mia_gap']:.3f}",
                     f"{met['ours']} of {len(acceptance_checks(gap, methods['ours']))} (best peer: {best_peer_met})"])
    return markdown_table(['forgotten', 'ours: test Avg. Gap (rank)', 'best peer', 'untouched original',
                           'forget gap (dB)', 'worst retain change (dB)', 'MIA gap', 'targets met'], rows)


def lr_ends_table(source):
    data = load(source)
    rows = [[r['method'], r['task'], f"{r['lr']:g}", f"{r['val_avg_gap']:.2f}", f"{r['chosen_lr']:g}",
             f"{r['chosen_val_avg_gap']:.2f}", r.get('note', '')] for r in data['rows']]
    return '\n'.join([markdown_table(['method', 'task', 'rate past the end', 'val Avg. Gap', 'chosen rate',
                                      'val Avg. Gap', 'note'], rows), '', f"_{data['provenance']}._"])


def step_cost_table(source):
    rows = []
    for r in load(source):
        cells = [f"{r['network']}, {r['batch']} x {r['size']}², {r['device']}"]
        for label, ratio in r['ratio'].items():
            seconds = r['seconds'].get(label)
            ms = '' if seconds is None else f' ({1000 * seconds:.0f} ms)'
            cells.append(f'{1000 * seconds:.0f} ms' if label == 'SRModel' and seconds else
                         ('-' if label == 'SRModel' else f'x{ratio:.2f}{ms}'))
        rows.append(cells)
    return markdown_table(['network, batch, machine', 'SRModel step', 'ours, no PGD', 'ours, PGD 1 step',
                           'ours, PGD 3 steps'], rows)


def zoo_table(source):
    manifest = load(source)
    models = manifest['models']
    tasks = list(next(iter(models.values()))['test'])
    first = next(iter(models.values()))['test']
    rows = [['degraded input', '', ''] + [f"{first[t]['input_psnr']:.2f}" for t in tasks]]
    for name, m in models.items():
        rows.append([f"`{m['file'][:-4]}`", m['never_saw'] or '-', f"{m['wall_time_s'] / 60:.1f} min"] +
                    [f"{m['test'][t]['psnr']:.2f} / {m['test'][t]['ssim']:.3f}" for t in tasks])
    return markdown_table(['model', 'never saw', 'train time'] + list(tasks), rows)


def reproducibility_table(sources):
    before, after = (load(source) for source in sources.split())
    rows = []
    for old, new in zip(before['rows'], after['rows']):
        rows.append([old['task'], f"{old['resumed']:.2g}", f"{new['resumed']:.2g}", f"{old['two_processes']:.2g}",
                     f"{new['two_processes']:.2g}"])
    table = markdown_table(['file', 'resumed: before', 'resumed: now', '2 processes: before', '2 processes: now'],
                           rows)
    return '\n'.join([table, '', f"_Before: {before['code']}; now: {after['code']}; {after['machine']}._"])


def spread(entry, fmt='.2f', scale=1):
    """'mean (spread)' of a ``spread_of`` entry (spread = max - min over the seeds)."""
    return f"{format(scale * entry['mean'], fmt)} ({format(scale * entry['spread'], fmt.lstrip('+'))})"


def seeded_verdict(data):
    """The verdict numbers of a comparison over seeds, one row per method, and its footer."""
    runs = len(data['seeds'])
    rows = []
    for method, m in data['methods'].items():
        met = ', '.join(f'{SHORT_TARGETS[key]} {count}/{runs}' for key, count in m['targets_met'].items())
        time = '-' if m['time_fraction'] is None else spread(m['time_fraction'], '.1f', 100)
        rows.append([method, num(m['lr'], 'g'), spread(m['avg_gap']),
                     ' / '.join(spread(v) for v in m['forget_gap'].values()), spread(m['worst_retain_change'], '+.2f'),
                     spread(m['mia_gap'], '.3f'), time, met])
    verdict = markdown_table(['method', 'lr', 'Avg. Gap', 'forget gap (dB)', 'worst retain change (dB)',
                              'MIA gap', 'time (% of retraining)', 'targets met (seeds)'], rows)
    footer = (f"_`{data['command']}`; {data['split']} split; mean (spread = max - min) over seeds "
              f"{', '.join(map(str, data['seeds']))}; {describe_machine(data['machine'])}._")
    return verdict, footer


def beyond_spread_line(data):
    """Which differences to ours are larger than the spread over seeds, on one line."""
    beyond = [f"{c['method']} ({c['metric'].replace('_', ' ')} {c['difference']:+.3f})"
              for c in data['compared_to_ours'] if c['beyond_spread']]
    return ('Beyond the spread, ours minus: ' + ', '.join(beyond) + '; every other difference is within it.'
            if beyond else 'Every difference to ours is within the spread over seeds.')


def seeded_table(source):
    """A forgotten task's comparison over seeds (``benchmark --seeds``): verdict numbers, then PSNR."""
    data = load(source)
    tasks, runs = data['tasks'], len(data['seeds'])
    stats = data['methods']
    verdict, footer = seeded_verdict(data)
    rows = [[label, ''] + [f"{data['models'][label]['psnr'][t]:.2f}" for t in tasks] +
            [f"{data['models'][label]['mia_auc']:.3f}"] for label in BASELINES]
    rows += [[method, f'{runs} seeds'] + [spread(m['psnr'][t]) for t in tasks] +
             [f"{sum(data['models'][r]['mia_auc'] for r in m['runs']) / runs:.3f}"] for method, m in stats.items()]
    rows.append(['degraded input', ''] + [f"{data['input_psnr'][t]:.2f}" for t in tasks] + [''])
    psnr = markdown_table(['model', 'runs'] + [f'{t} PSNR' for t in tasks] + ['MIA AUC (mean)'], rows)
    lines = []
    for c in data['compared_to_ours']:
        verdict_word = 'beyond' if c['beyond_spread'] else 'within'
        lines.append(f"- ours - {c['method']}, {c['metric'].replace('_', ' ')}: {c['difference']:+.3f}, "
                     f"{verdict_word} the spread ({c['spread']:.3f})")
    return '\n'.join([verdict, '', psnr, '', *lines, '', footer])


def seeded_verdict_table(source):
    """The verdict part of ``seeded`` alone, with the differences to ours beyond the spread on one line."""
    data = load(source)
    verdict, footer = seeded_verdict(data)
    return '\n'.join([verdict, '', beyond_spread_line(data), '', footer])


def unmeasurable(zoo, task):
    """Why forgetting ``task`` measures nothing on ``zoo``: its original does not beat the degraded input
    on test (from the zoo's manifest), else None."""
    test = load_manifest(zoo)['models'][ORIGINAL]['test']
    behind = [t for t in TASK_GROUPS[task] if test[t]['psnr'] <= test[t]['input_psnr']]
    return behind and ('not measurable: the original does not restore it (' +
                       ', '.join(f"{t} {test[t]['psnr']:.2f}, input {test[t]['input_psnr']:.2f} dB" for t in behind)
                       + ')')


def seeded_summary_table(folders):
    """One line per zoo and forgotten task from ``<folder>/forget_<task>.json`` (``benchmark --seeds``;
    each of the space-separated folders is named for the zoo its comparisons unlearned)."""
    rows = []
    for folder in folders.split():
        zoo = osp.basename(folder.rstrip('/'))
        for task in FORGETTABLE:
            path = f'{folder}/forget_{task}.json'
            if not osp.isfile(osp.join(REPO, path)):
                rows.append([zoo, task, unmeasurable(zoo, task) or 'not run yet', '', '', '', ''])
                continue
            data = load(path)
            stats, runs = data['methods'], len(data['seeds'])
            ours = stats['ours']
            best_other = min((m for m in stats if m != 'ours'), key=lambda m: stats[m]['avg_gap']['mean'])
            versus = next(c for c in data['compared_to_ours']
                          if c['method'] == best_other and c['metric'] == 'avg_gap')
            met = ', '.join(f'{SHORT_TARGETS[key]} {count}/{runs}' for key, count in ours['targets_met'].items())
            rank = 1 + sum(m['avg_gap']['mean'] < ours['avg_gap']['mean'] for m in stats.values())
            rows.append([zoo, task, f"{spread(ours['avg_gap'])} ({rank} of {len(stats)})",
                         f"{best_other} {spread(stats[best_other]['avg_gap'])}",
                         'yes' if versus['beyond_spread'] else 'no (within the spread)',
                         f"{data['models']['original']['avg_gap']:.2f}", met])
    return markdown_table(['zoo', 'forgotten', 'ours: test Avg. Gap (rank)', 'best other method',
                           'difference beyond the spread?', 'untouched original', 'ours: targets met (seeds)'], rows)


CHECK_NAMES = {'forget_vs_input': 'forgotten vs input / forget gap', 'retain_drop_db': 'retain change (same check)',
               'membership_vs_chance': 'membership vs chance / MIA gap', 'verdict': 'overall verdict'}


def agreement_rows_of(tallies):
    rows = []
    for scope, tally in tallies:
        for key, t in tally.items():
            if t['cases']:
                agree = f"{t['agree']} ({100 * t['agree'] / t['cases']:.0f} %)"
                rows.append([scope, CHECK_NAMES[key], t['cases'], agree, t['both_met'], t['both_missed'],
                             t['free_met_gold_missed'], t['free_missed_gold_met']])
    return markdown_table(['runs', 'check', 'cases', 'agree', 'both met', 'both missed',
                           'reference-free met, gold missed', 'reference-free missed, gold met'], rows)


def agreement_table(source):
    """Reference-free vs gold-standard verdicts, per check and benchmark (benchmarks/reference_free_agreement.py),
    then per run the membership check's never-saw level as measured on the retrained model."""
    data = load(source)
    table = agreement_rows_of([('all', data['tally'])] + list(data['by_benchmark'].items()))
    levels = markdown_table(
        ['run', 'unlearned models', 'retrained model: AUC vs val [95 % interval]', 'original: AUC vs val'],
        [[f"{r['benchmark']} {r['forget']}: {r['title']}", r['models'],
          f"{r['never_saw_auc']:.3f} [{r['never_saw_interval'][0]:.2f}, {r['never_saw_interval'][1]:.2f}]",
          f"{r['original_auc']:.3f}"] for r in data['runs']])
    footer = (f"_`{data['command']}`; a case is one check of one unlearned model; "
              f"{describe_machine(data['machine'])}._")
    return '\n'.join([table, '', levels, '', footer])


def agreement_summary_table(source):
    """The pooled agreement per check, compact (the README's headline)."""
    rows = [[CHECK_NAMES[key], f"{t['agree']} of {t['cases']}", t['free_met_gold_missed'], t['free_missed_gold_met']]
            for key, t in load(source)['tally'].items() if t['cases']]
    return markdown_table(['check (reference-free / gold)', 'agree', 'free met, gold missed', 'free missed, gold met'],
                          rows)


def deletion_table(source):
    """A deletion request's comparison over seeds (benchmarks/deletion_peers.py): the references,
    then every method's kept variant and the mean (spread) of the numbers the checks read."""
    data = load(source)
    runs = len(data['seeds'])
    rows = [[label, '', '', f"{r['deleted_psnr']:.2f}", f"{r['deleted_gain']:+.2f}", f"{r['unseen_gain']:+.2f}",
             f"{r['deleted_auc']:.3f}", f"{r['retained_auc']:.3f}", '', '', '']
            for label, r in data['references'].items()]
    for method, m in data['methods'].items():
        met = ', '.join(f'{key} {count}/{runs}' for key, count in m['targets_met'].items())
        rows.append([method, m['variant'], spread(m['val_avg_gap'], '.3f'), spread(m['deleted_psnr']),
                     spread(m['deleted_gain'], '+.2f'), spread(m['unseen_gain'], '+.2f'),
                     spread(m['deleted_auc'], '.3f'), spread(m['retained_auc'], '.3f'),
                     spread(m['worst_test_change'], '+.2f'), spread(m['time_fraction'], '.1f', 100), met])
    table = markdown_table(['model', 'kept on val', 'val Avg. Gap', f"deleted PSNR ({data['deleted']} images)",
                            'deleted: gain over input', 'unseen: gain over input', 'AUC deleted vs unseen',
                            'AUC retained vs unseen', 'worst test change (dB)', 'time (% of retraining)',
                            'targets met (seeds)'], rows)
    footer = (f"_`{data['command']}`; {data['task']} test split as the unseen images; variants chosen by the "
              f"lowest mean val Avg. Gap of deletion (untouched original: {data['val_untouched']:.3f}); "
              f"mean (spread = max - min) over seeds {', '.join(map(str, data['seeds']))}; "
              f"{describe_machine(data['machine'])}._")
    return '\n'.join([table, '', footer])


def deletion_val_table(source):
    """Every variant each method was tuned over: its val Avg. Gap of deletion, mean (spread) over seeds."""
    data = load(source)
    rows = [[method, label, spread(entry, '.3f'), 'kept' if data['methods'][method]['variant'] == label else '']
            for method, variants in data['val_variants'].items() for label, entry in variants.items()]
    table = markdown_table(['method', 'variant', 'val Avg. Gap of deletion', ''], rows)
    return '\n'.join([table, '', f"_untouched original: {data['val_untouched']:.3f}; seeds "
                                 f"{', '.join(map(str, data['seeds']))}; lower is closer to the retrained model._"])


def throughput_table(source):
    """Training steps and evaluated images in GFLOP/s and as a share of the machine's peak, measured
    in the same run (benchmarks/throughput.py); a network is named on its first row only."""
    data = load(source)

    def network(rows, i):
        r = rows[i]
        same = i and rows[i - 1]['network'] == r['network']
        return '' if same else f"{r['network']} ({r['params'] / 1e6:.2f} M)"

    def rates(r):
        return [f"{r['gflops']:.1f}", f"{100 * r['peak_fraction']:.1f}"]

    train, evaluated = data['train'], data['eval']
    steps = markdown_table(['network', 'model', 'GFLOP/step', 's/step', 'GFLOP/s', '% of peak'],
                           [[network(train, i), r['model'] + (f" ({r['note']})" if r['note'] else ''),
                             f"{r['gflop']:.1f}", f"{r['seconds']:.3f}"] + rates(r) for i, r in enumerate(train)])
    images = markdown_table(['network', 'image', 'GFLOP/image', 'images/s', 'GFLOP/s', '% of peak'],
                            [[network(evaluated, i), r['image'], f"{r['gflop']:.1f}", f"{r['images_per_s']:.3g}"] +
                             rates(r) for i, r in enumerate(evaluated)])
    s, peak = data['settings'], data['peak']
    peak_line = (f"Peak: **{peak['gflops']:.0f} GFLOP/s** ({peak['what']}, mean {peak['mean_gflops']:.0f}), "
                 "measured in the same run.")
    footer = (f"_Training: {data['train_batch']}; median of {s['train_repeats']} timed steps after "
              f"{s['train_warmup'] + 1} untimed (the last counted). Images: eval mode, no_grad, batch 1; median of "
              f"{s['eval_repeats_tiny']} timed passes (the published networks {s['eval_repeats_published']}) after "
              f"the counted one. FLOPs counted: {data['counted']}. `{data['command']}`, {data['wall_s'] / 60:.1f} "
              f"min; {describe_machine(data['machine'])}._")
    return '\n'.join([steps, '', images, '', peak_line, '', footer])


def train_profile_table(source):
    """Where a tiny PromptIR step's time goes, and what the usual switches buy (benchmarks/train_step_profile.py)."""
    data = load(source)
    profiles = data['profiles']
    names = list(profiles)
    operators = []
    for name in names:
        operators += [op for op, _ in profiles[name]['operators'] if op not in operators]
    shares = [{op: share for op, share in profiles[name]['operators']} for name in names]
    rows = [[f'`{op}`'] + [num(100 * s[op], '.1f') if op in s else '' for s in shares] for op in operators]
    rows.append(['optimizer update (`Optimizer.step`, its operators included)'] +
                [f"{100 * profiles[name]['optimizer_share']:.1f}" for name in names])
    rows.append(['s/step under the profiler'] + [f"{profiles[name]['step_s']:.3f}" for name in names])
    ops = markdown_table(['operator (self CPU time)'] + [f'% of step, {name}' for name in names], rows)
    switches = markdown_table(
        ['SRModel step', 'median s', 'range s', 'speed-up', 'compile s'],
        [[variant, f"{r['median_s']:.3f}", f"{r['min_s']:.3f} to {r['max_s']:.3f}", f"x{r['speedup']:.2f}",
          '' if r['compile_s'] is None else f"{r['compile_s']:.0f}"] for variant, r in data['switches'].items()])
    footer = (f"_{data['network']}, {data['batch']}; the switches timed in turns over {data['switch_rounds']} "
              f"rounds in one process. `{data['command']}`, {data['wall_s'] / 60:.1f} min; "
              f"{describe_machine(data['machine'])}._")
    return '\n'.join([ops, '', switches, '', footer])


def learning_curves_table(source):
    """Each curve's val PSNR per task at every scored save, with the gain over the degraded input at its
    last one (benchmarks/learning_curves.py)."""
    data = load(source)
    curves = data['curves']
    tasks = list(next(iter(curves.values()))['input'])
    inputs = next(iter(curves.values()))['input']
    rows = [['degraded input', '', ''] + [f'{inputs[t]:.2f}' for t in tasks]]
    for label, curve in curves.items():
        points = [p for p in curve['points'][:-1] if p['iter'] % 1000 == 0] + curve['points'][-1:]
        for i, point in enumerate(points):
            last = i == len(points) - 1
            rows.append([label if i == 0 else '', str(point['iter']),
                         f"{curve['train_wall_time_s'] / 60:.0f} min" if last else ''] +
                        [(f"{point['val'][t]:.2f}" + (f" ({point['val'][t] - inputs[t]:+.2f})" if last else ''))
                         if t in curve.get('trained_tasks', tasks) else '-' for t in tasks])
    footer = '; '.join(f"{label}: `{curve['command']}`, {curve['done']} of {curve['iters']} iterations trained, "
                       f"{curve['train_wall_time_s'] / max(curve['done'], 1):.2f} s/iteration"
                       for label, curve in curves.items())
    table = markdown_table(['curve', 'iteration', 'train time', *tasks], rows)
    first = next(iter(curves.values()))
    note = (f"_Val PSNR (dB) every 1000 iterations and at the last save, with its gain over the degraded input "
            f"(-: a task the curve did not train on). "
            f"{footer}; {describe_machine(first['machine'])}._")
    return '\n'.join([table, '', note])


def published_cost_table(source):
    """Time and peak memory of one step at the published size, per architecture, variant and batch,
    with the projected unlearning run (benchmarks/published_cost.py)."""
    data = load(source)

    def measured(r):
        if 'memory_cap_mib' in r:
            return ['stopped', f"over {r['memory_cap_mib'] / 1024:g} GiB", '']
        if 'error' in r:
            return ['did not run', r['error'], '']
        return [f"{r['seconds_per_step']:.2f} s", f"{r['peak_memory_mib'] / 1024:.1f} GiB",
                f"{r['total_iter']} steps: {r['projected_run_h']:.1f} h"]
    rows = [[r['arch'], r['variant'], str(r['batch'])] + measured(r) for r in data['rows']]
    first = next(r for r in data['rows'] if 'error' not in r)
    table = markdown_table(['network', 'model', 'batch', 'one step', 'peak memory', 'the published file\'s run'],
                           rows)
    authors = '; '.join(f"{arch}: about {a['days']} days on {a['gpus']}"
                        for arch, a in data['authors_training'].items())
    commands = ', '.join(f'`{c}`' for c in data['commands'])
    note = (f"_{commands}: {first['crop']} px crops, {first['device']}, memory = {first['memory']}; "
            f"the authors' reported training, for comparison: {authors}; {describe_machine(data['machine'])}._")
    return '\n'.join([table, '', note])


def seeded_variants_table(source):
    """Variants of ours per forgotten task, over seeds, with the steps each took: the stop rule against
    the fixed step count (benchmarks/stop_rule.py), requests in sequence (benchmarks/sequential_requests.py)."""
    data = load(source)
    rows = []
    for task, variants in data['tasks'].items():
        for variant, m in variants.items():
            runs = len(m['runs'])
            met = ', '.join(f'{key} {count}/{runs}' for key, count in m['targets_met'].items())
            forget = ' / '.join(f'{t} {spread(v)}' if len(m['forget_gap']) > 1 else spread(v)
                                for t, v in m['forget_gap'].items())
            rows.append([task, variant, ' / '.join(map(str, m['steps'])), spread(m['avg_gap']), forget,
                         spread(m['worst_retain_change'], '+.2f'), spread(m['mia_gap'], '.3f'),
                         spread(m['time_fraction'], '.1f', 100), met])
    table = markdown_table(['forgotten', 'variant', 'steps (per seed)', 'Avg. Gap', 'forget gap (dB)',
                            'worst retain change (dB)', 'MIA gap', 'time (% of retraining)', 'targets met (seeds)'],
                           rows)
    footer = (f"_{commands_of(data)}; {data['benchmark']}, test split; mean (spread = max - min) over seeds "
              f"{', '.join(map(str, data['seeds']))}; {describe_machine(data['machine'])}._")
    return '\n'.join([table, '', footer])


def commands_of(data):
    """The commands that wrote a per-task results file (``write_per_task``), each once."""
    commands = data['commands'].values() if 'commands' in data else [data['command']]
    return '; '.join(f'`{command}`' for command in dict.fromkeys(commands))


def relearn_audit_table(source):
    """Steps to relearn the forgotten task per model and seed (benchmarks/relearn_audit.py)."""
    data = load(source)
    budget = next(iter(data['tasks'].values()))['budget']
    with_curves = all('curves' in m for t in data['tasks'].values() for m in t['methods'].values())
    rows = []
    for task, t in data['tasks'].items():
        for method, m in t['methods'].items():
            steps = ' / '.join('-' if s is None else str(s) for s in m['steps_to_regain'])
            first = [' / '.join(f'{c[1][1]:.2f}' for c in m['curves'])] if with_curves else []
            rows.append([task, method, num(m['lr'], 'g'), ' / '.join(f'{v:.2f}' for v in m['start_psnr']),
                         *first, ' / '.join(f'{v:.2f}' for v in m['end_psnr']), steps])
    first = [f"after {budget['every']} steps"] if with_curves else []
    table = markdown_table(['forgotten', 'model', 'lr', 'val PSNR before', *first, 'after the budget',
                            'steps to the target'], rows)
    targets = '; '.join(f"{task}: input {t['input_psnr']:.2f}, original {t['original_psnr']:.2f}, target "
                        f"{t['target_psnr']:.2f} dB" for task, t in data['tasks'].items())
    footer = (f"_{commands_of(data)}; {data['benchmark']}; {budget['pairs']} forget pairs, {budget['steps']} steps, "
              f"lr {budget['lr']:g}, seed {budget['seed']}; per seed ({', '.join(map(str, data['seeds']))}), "
              f"- = not within the budget, 0 for a model other than the original = at the target before any "
              f"fine-tuning (not forgotten on val); {targets}; {describe_machine(data['machine'])}._")
    return '\n'.join([table, '', footer])


#: the gold targets as the forget-defaults tables name them
SHORT_TARGETS = dict(forget_gap_db='forget', retain_drop_db='mean', retain_median_db='median',
                     retain_collapsed_share='collapsed', mia_gap='MIA', time_fraction='time')


def forget_defaults_table(source):
    """``forget``'s defaults per zoo and forgotten degradation, over seeds (benchmarks/forget_defaults.py):
    the margin the original had, the gold numbers, the retained tasks image by image, both verdicts."""
    data = load(source)
    runs = len(data['seeds'])
    rows = []
    for zoo, by_task in data['zoos'].items():
        for task, t in by_task.items():
            ours, forgotten = t['ours'], list(t['ours']['forget_gap'])
            margin = ' / '.join(f"{t['models']['original'][f] - t['input_psnr'][f]:+.1f}" for f in forgotten)
            worst_median = min(ours['retain_median'], key=lambda r: ours['retain_median'][r]['mean'])
            worst_share = max(ours['retain_collapsed_share'], key=lambda r: ours['retain_collapsed_share'][r]['mean'])
            met = ', '.join(f'{SHORT_TARGETS[key]} {count}/{runs}' for key, count in ours['targets_met'].items())
            worst = min(ours['retain_change'], key=lambda r: ours['retain_change'][r]['mean'])
            rows.append([zoo, task, margin, ' / '.join(spread(v) for v in ours['forget_gap'].values()),
                         f"{worst} {spread(ours['retain_change'][worst], '+.2f')}",
                         f"{worst_median} {spread(ours['retain_median'][worst_median], '+.2f')}",
                         f"{worst_share} {spread(ours['retain_collapsed_share'][worst_share], '.0f', 100)}",
                         spread(ours['mia_gap'], '.3f'), spread(ours['time_fraction'], '.1f', 100),
                         ' / '.join(map(str, ours['steps'])), met,
                         ' / '.join(f"{n}/{ours['reference_free_checks']}" for n in ours['reference_free_met'])])
    header = ['zoo', 'forgotten', 'original - input (dB)', 'forget gap (dB)', 'worst retain change (dB)',
              'worst median change (dB)', 'most collapsed (% images)', 'MIA gap', 'time (% retrain)', 'steps',
              'gold targets met (seeds)', 'reference-free checks met']
    commands = dict.fromkeys(t['command'] for by_task in data['zoos'].values() for t in by_task.values())
    footer = (f"_{'; '.join(f'`{c}`' for c in commands)}; test split; mean (spread = max - min) over seeds "
              f"{', '.join(map(str, data['seeds']))}; an image collapsed when it lost more than 1 dB; "
              f"{describe_machine(data['machine'])}._")
    return '\n'.join([markdown_table(header, rows), '', footer])


SUMMARY_TARGETS = ('forget_gap_db', 'retain_drop_db', 'retain_median_db', 'retain_collapsed_share')


def forget_defaults_summary_table(source):
    """The README's lines of ``forget_defaults_table``: forget gap, the worst retained task, both verdicts."""
    data = load(source)
    rows = []
    for zoo, by_task in data['zoos'].items():
        for task, t in by_task.items():
            ours = t['ours']
            worst = min(ours['retain_change'], key=lambda r: ours['retain_change'][r]['mean'])
            rows.append([zoo, task, ' / '.join(spread(v) for v in ours['forget_gap'].values()),
                         f"{worst} {spread(ours['retain_change'][worst], '+.2f')} (median image "
                         f"{spread(ours['retain_median'][worst], '+.2f')})",
                         ', '.join(f"{SHORT_TARGETS[k]} {n}/{len(data['seeds'])}"
                                   for k, n in ours['targets_met'].items() if k in SUMMARY_TARGETS),
                         ' / '.join(f"{n}/{ours['reference_free_checks']}" for n in ours['reference_free_met'])])
    return markdown_table(['zoo', 'forgotten', 'forget gap (dB)', 'worst retained task (dB)', 'gold targets met',
                           'reference-free checks met (per seed)'], rows)


def resplit_range(entry):
    """'; random splits 0.37-0.63' of a retrained model's yardstick entry, '' for others."""
    if 'resplit' not in entry:
        return ''
    low, _, high = entry['resplit']['percentiles']
    return f"; random splits {low:.2f}-{high:.2f}"


def yardstick_table(source):
    """Membership AUC of each zoo's original and retrained models under both yardsticks
    (benchmarks/membership_yardstick.py)."""
    data = load(source)
    rows = []
    for zoo, groups in data['zoos'].items():
        for group, models in groups.items():
            for label, by_yardstick in models.items():
                rows.append([zoo, group, label] + [
                    f"{y['auc']:.3f} [{y['interval'][0]:.2f}, {y['interval'][1]:.2f}] ({y['non_members']}, "
                    f"{', '.join(sorted({s.split('/')[1] for s in y['splits']}))})" + resplit_range(y)
                    for y in by_yardstick.values()])
    header = ['zoo', 'forgotten', 'model'] + [f'AUC vs {name} (non-members, split)' for name in data['yardsticks']]
    footer = (f"_`{data['command']}`; AUC with its 95 % bootstrap interval; members: the forget training pairs; "
              "random splits: the 95 % range of a retrained model's AUC over random re-splits of the pooled images; "
              + '; '.join(f'{name}: {what}' for name, what in data['yardsticks'].items())
              + f"; {describe_machine(data['machine'])}._")
    return '\n'.join([markdown_table(header, rows), '', footer])


def over_checks(run, name, key):
    """The median, over a run's stop-rule checks, of one retained val set's ``key``."""
    return statistics.median(check[name][key] for check in run['retained'])


def retain_fixes_table(source):
    """Options against the shipped recipe on val (benchmarks/retain_fixes.py): per variant, seeds on
    which the stop rule was met, and each retained task's median change and collapsed share over the
    run's checks (mean and spread over seeds)."""
    data = load(source)
    rows = []
    for zoo, by_task in data['runs'].items():
        for task, variants in by_task.items():
            for variant, entry in variants.items():
                runs = list(entry['seeds'].values())
                retained = list(runs[0]['retained'][0])
                cells = []
                for name in retained:
                    medians = [over_checks(run, name, 'median_change') for run in runs]
                    shares = [100 * over_checks(run, name, 'collapsed_share') for run in runs]
                    cells.append(f"{name[len('val_retain_'):]} {spread(spread_of(medians), '+.2f')} / "
                                 f"{spread(spread_of(shares), '.0f')}")
                forget_met = sum(sum(run['forget_met']) for run in runs)
                checks = sum(len(run['forget_met']) for run in runs)
                rows.append([variant, entry['why'], f"{sum(r['stopped_at'] is not None for r in runs)}"
                             f"/{len(runs)}", f'{forget_met}/{checks}', '; '.join(cells),
                             f"{entry['wall_s'] / len(runs):.0f}"])
    header = ['variant', 'what it changes', 'stop rule met (seeds)',
              'checks with the task forgotten', 'retained: median change (dB) / collapsed (% images)',
              's a run']
    studied = ', '.join(f'{zoo} forgetting {task}' for zoo, by_task in data['runs'].items() for task in by_task)
    footer = (f"_`{data['command']}`; {studied}; val split; each run capped at {data['cap']} steps, checked "
              "every 10; a retained figure is the median over a run's checks, then mean (spread = max - min) over "
              f"seeds {', '.join(map(str, data['seeds']))}; {describe_machine(data['machine'])}._")
    return '\n'.join([markdown_table(header, rows), '', footer])


def rounds_table(source):
    """One line per tuning round: its question and what it decided, from the specs in ``source``."""
    import yaml
    rows = []
    for spec_path in sorted(glob.glob(osp.join(REPO, source, 'round*.yml'))):
        with open(spec_path, encoding='utf-8') as f:
            spec = yaml.safe_load(f)
        summary = osp.relpath(spec_path, REPO)[:-len('.yml')] + '.json'
        data = f'`{summary}`' if osp.isfile(osp.join(REPO, summary)) else '-'
        rows.append([spec['round'], spec['title'], spec['decided'], data])
    return markdown_table(['round', 'question', 'decided', 'its runs'], rows)


KINDS = {'round': round_table, 'rounds': rounds_table, 'benchmark': benchmark_table, 'summary': summary_table,
         'lr-ends': lr_ends_table,
         'step-cost': step_cost_table, 'zoo': zoo_table, 'reproducibility': reproducibility_table,
         'seeded': seeded_table, 'seeded-verdict': seeded_verdict_table, 'seeded-summary': seeded_summary_table,
         'agreement': agreement_table,
         'agreement-summary': agreement_summary_table, 'deletion': deletion_table,
         'deletion-val': deletion_val_table, 'throughput': throughput_table, 'train-profile': train_profile_table,
         'learning-curves': learning_curves_table, 'published-cost': published_cost_table,
         'seeded-variants': seeded_variants_table, 'relearn-audit': relearn_audit_table,
         'yardstick': yardstick_table, 'forget-defaults': forget_defaults_table,
         'forget-defaults-summary': forget_defaults_summary_table, 'retain-fixes': retain_fixes_table}


def fill(text):
    def replace(match):
        head, kind, source, _, tail = match.groups()
        if kind not in KINDS:
            raise ValueError(f'unknown generated table kind {kind!r}; expected one of {sorted(KINDS)}')
        return f'{head}{KINDS[kind](source)}\n{tail}'
    return BLOCK.sub(replace, text)


def documents():
    """{path: text with its tables filled} of README.md and docs/*.md."""
    paths = [osp.join(REPO, 'README.md')] + sorted(glob.glob(osp.join(REPO, 'docs', '*.md')))
    return {path: fill(open(path, encoding='utf-8').read()) for path in paths}


if __name__ == '__main__':
    sys.exit(generated_files.main(__doc__.split('\n')[0], documents))
