"""The runs: benchmark (every method under one budget, lr chosen on val, judged on test) and tuning sweeps."""
import glob
import json
import os

import pytest

from basicsr_unlearn.cli import main as cli

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_unknown_method_is_named_before_any_work(tmp_path, capsys):
    assert cli(['benchmark', '--methods', 'ours', 'forgetall', '--data', str(tmp_path / 'none')]) == 2
    assert "--methods: ['forgetall'] not in basicsr_unlearn/runs/methods.yml" in capsys.readouterr().err
    assert not (tmp_path / 'none').exists()  # nothing was built


def test_sweep_labels_stay_apart_and_seeds_reach_run_sweep(monkeypatch, capsys):
    from basicsr_unlearn.runs import sweep as sweep_module
    seen = {}

    def fake_run_sweep(task, variants, data_root, out, seeds, method, base):
        seen.update(variants=variants, seeds=seeds, base=base, method=method)
        row = dict(val_avg_gap=1.0, val_forget_gap={'rain': 0.5}, val_retain_change={'haze': -0.1}, val_mia_gap=0.01,
                   seed=0)
        return dict(task=task, method=method, seeds=seeds, variants=[
            sweep_module.summarise_seeds(label, overrides, [row, dict(row, val_avg_gap=2.0, seed=1)])
            for label, overrides in variants.items()])

    monkeypatch.setattr(sweep_module, 'run_sweep', fake_run_sweep)
    assert cli(['sweep', '--task', 'rain', '--seeds', '0', '1', '--set', 'train:total_iter=80', '--vary',
                'train:distill_opt:loss_weight=3', 'train:pixel_opt:loss_weight=3']) == 0
    variants = seen['variants']  # two keys ending in loss_weight=3: neither replaces the other
    assert seen['base'] == {'train:total_iter': 80} and variants['base'] == {}
    assert variants['loss_weight=3'] == {'train:distill_opt:loss_weight': 3}
    assert variants['train:pixel_opt:loss_weight=3'] == {'train:pixel_opt:loss_weight': 3}
    assert seen['seeds'] == [0, 1] and seen['method'] == 'ours'
    assert 'val Avg. Gap 1.500  (seeds 0 1: spread 1.000)' in capsys.readouterr().out


def test_sweep_needs_a_round_or_a_task(capsys):
    assert cli(['sweep']) == 2
    assert 'give --round SPEC, or --task' in capsys.readouterr().err


def test_a_misspelt_sweep_key_is_named_before_any_run(tmp_path, capsys):
    assert cli(['sweep', '--task', 'rain', '--data', str(tmp_path / 'none'), '--vary',
                'train:forgt_opt:loss_weight=2']) == 2
    err = capsys.readouterr().err
    assert "option `train:forgt_opt:loss_weight`: `train` has no key 'forgt_opt'" in err
    assert cli(['sweep', '--task', 'rain', '--data', str(tmp_path / 'none'), '--vary',
                'datasets:train:retain:9:weight=2']) == 2
    assert '`datasets:train:retain` is a list of 4; expected an index below 4' in capsys.readouterr().err
    assert not (tmp_path / 'none').exists()  # no benchmark was built, no run started


def test_set_option_key_sets_new_blocks_whole_and_list_items_by_index():
    from basicsr_unlearn.runs.compose import set_option_key
    opt = {'train': {'forget_opt': {'loss_weight': 1}}, 'datasets': {'train': {'retain': [{'weight': 1}] * 2}}}
    set_option_key(opt, 'train:anchor_opt', {'loss_weight': 0.01})
    set_option_key(opt, 'train:forget_opt:loss_weight', 0.5)
    set_option_key(opt, 'datasets:train:retain:1', {'weight': 3})
    assert opt['train'] == {'forget_opt': {'loss_weight': 0.5}, 'anchor_opt': {'loss_weight': 0.01}}
    assert opt['datasets']['train']['retain'] == [{'weight': 1}, {'weight': 3}]


def test_seed_summary_averages_every_number():
    from basicsr_unlearn.runs.sweep import summarise_seeds
    rows = [dict(val_avg_gap=2.0, val_forget_gap={'rain': 1.0}, val_retain_change={'haze': -0.2}, val_mia_gap=0.1,
                 seed=0),
            dict(val_avg_gap=5.0, val_forget_gap={'rain': 0.0}, val_retain_change={'haze': 0.4}, val_mia_gap=0.3,
                 seed=1)]
    summary = summarise_seeds('x', {'lr': 1e-3}, rows)
    assert summary['val_avg_gap'] == 3.5 and summary['val_avg_gap_spread'] == 3.0 and summary['runs'] == 2
    assert summary['val_forget_gap'] == {'rain': 0.5} and abs(summary['val_retain_change']['haze'] - 0.1) < 1e-12
    assert abs(summary['val_mia_gap'] - 0.2) < 1e-12 and summary['overrides'] == {'lr': 1e-3}
    assert summary['per_seed'] == [{'seed': 0, 'val_avg_gap': 2.0}, {'seed': 1, 'val_avg_gap': 5.0}]


def test_a_benchmark_call_keeps_what_an_interrupted_call_finished(monkeypatch, tmp_path, mini_benchmark):
    from basicsr_unlearn.runs import benchmark
    trained = []

    def fake_training(opt, work_dir, **_):  # the original's weights stand in for a trained run
        trained.append(opt['name'])
        weights = tmp_path / f"{opt['name']}_{len(trained)}.pth"
        weights.write_bytes(open(opt['path']['pretrain_network_g'], 'rb').read())
        return dict(weights=str(weights), wall_time_s=7.0, steps=opt['train']['total_iter'])

    monkeypatch.setattr(benchmark, 'run_training', fake_training)
    data, out = str(mini_benchmark / 'datasets' / 'mini_allinone'), str(tmp_path / 'out')
    first = benchmark.Runner('rain', data, out, steps=2)
    first.run('ours_lr0.001_seed0', 'ours', 1e-3, {'manual_seed': 0})
    first.save_rows('val_sweep.json')
    again = benchmark.Runner('rain', data, out, steps=2)
    row, _, run = again.run('ours_lr0.001_seed0', 'ours', 1e-3, {'manual_seed': 0})
    assert trained == ['rain_ours_lr0.001_seed0'] and run['wall_time_s'] == 7.0  # kept, with its cost
    assert row['val_avg_gap'] == first.rows[0]['val_avg_gap'] and again.rows == [row]
    again.run('ours_lr0.001_seed0', 'ours', 1e-3, {'manual_seed': 1})  # same label, other options: trained
    again.run('ours_lr0.002_seed0', 'ours', 2e-3, {'manual_seed': 0})
    assert len(trained) == 3


def test_a_zoo_of_another_benchmark_is_refused_by_name(mini_benchmark):
    from basicsr_unlearn.runs.benchmark import Runner
    from basicsr_unlearn.utils import UserError
    with pytest.raises(UserError, match='--zoo real_mini_adair was trained on real_mini'):
        Runner('rain', str(mini_benchmark / 'datasets' / 'mini_allinone'), 'unused', zoo='real_mini_adair')


class FakeRunner:
    """Stands in for runs.benchmark.Runner: scores from a table, calls recorded."""
    calls = []
    scores = {('a', 0): 1.0, ('a', 1): 5.0, ('b', 0): 2.0, ('b', 1): 2.5}  # a wins seed 0, b wins on the mean

    def __init__(self, task, data_root, out):
        self.untouched = dict(val_avg_gap=9.0)

    def run(self, label, method, lr, overrides):
        self.calls.append((label, method, lr, overrides))
        gap = self.scores[(label.split('_')[0], overrides['manual_seed'])]
        return dict(val_avg_gap=gap, val_forget_gap={'rain': gap}, val_retain_change={}, val_mia_gap=0.0,
                    seed=overrides['manual_seed']), None, None

    def save_rows(self, name):
        pass


def test_run_sweep_runs_each_variant_once_per_seed(monkeypatch):
    from basicsr_unlearn.runs import sweep as sweep_module
    FakeRunner.calls = []
    monkeypatch.setattr(sweep_module, 'Runner', FakeRunner)
    variants = {'a': {'lr': 1e-3}, 'b': {}}
    summary = sweep_module.run_sweep('rain', variants, seeds=[0, 1], base={'train:total_iter': 60})
    calls = FakeRunner.calls
    assert [c[0] for c in calls] == ['a_seed0', 'a_seed1', 'b_seed0', 'b_seed1']
    assert calls[0][1:] == ('ours', 1e-3, {'train:total_iter': 60, 'manual_seed': 0})  # lr is not an option key
    assert calls[3][2:] == (None, {'train:total_iter': 60, 'manual_seed': 1})
    assert [v['label'] for v in summary['variants']] == ['a', 'b']  # the spec's order; the CLI ranks
    assert summary['variants'][1]['val_avg_gap'] == 2.25 and summary['set'] == {'train:total_iter': 60}
    assert variants['a'] == {'lr': 1e-3}  # the caller's dict is left as it was


def test_a_round_spec_runs_every_sweep_and_writes_its_summary(monkeypatch, tmp_path):
    from basicsr_unlearn.runs import sweep as sweep_module
    FakeRunner.calls = []
    monkeypatch.setattr(sweep_module, 'Runner', FakeRunner)
    spec = tmp_path / 'round99.yml'
    spec.write_text('round: 99\ntitle: t\nwhy: w\ndecision: d\nsweeps:\n'
                    '  - {task: rain, seeds: [0, 1], variants: {a: {}, b: {lr: 1e-3}}}\n')
    summary, path = sweep_module.run_round(str(spec), out=str(tmp_path / 'runs'))
    written = json.loads(open(path).read())
    assert written['round'] == 99 and written['spec'] == str(spec) and written['decision'] == 'd'
    assert written['benchmark'] == 'mini_allinone'  # the tables say which data the round was scored on
    assert [v['label'] for v in written['sweeps'][0]['variants']] == ['a', 'b']
    assert written['sweeps'][0]['variants'][0]['val_avg_gap'] == 3.0  # (1.0 + 5.0) / 2
    sweep_module.run_round(str(spec), out=str(tmp_path / 'runs'), summary_path=path)  # a re-run replaces it
    other = tmp_path / 'notes.json'
    other.write_text('{"mine": 1}')
    with pytest.raises(FileExistsError, match='not a summary of'):
        sweep_module.run_round(str(spec), summary_path=str(other))
    assert json.loads(other.read_text()) == {'mine': 1}


def test_a_round_spec_with_an_unknown_key_is_refused(tmp_path):
    from basicsr_unlearn.runs.sweep import load_round
    from basicsr_unlearn.utils import UserError
    spec = tmp_path / 'bad.yml'
    spec.write_text('round: 1\nsweeps:\n  - {task: rain, variant: {a: {}}}\n')
    with pytest.raises(UserError, match=r"sweeps\[0\] has unknown keys \['variant'\]"):
        load_round(str(spec))


@pytest.mark.parametrize('spec', sorted(glob.glob(os.path.join(REPO, 'benchmarks', 'rounds', '*.yml'))),
                         ids=os.path.basename)
def test_committed_round_specs_are_valid_and_match_their_summaries(spec):
    """Every committed round spec loads, names real option keys, and its summary lists the same variants."""
    from basicsr_unlearn.runs.compose import compose_option
    from basicsr_unlearn.runs.sweep import load_round
    loaded = load_round(spec)
    if os.path.basename(spec).startswith('round'):  # docs/Defaults.md's table reads what each round decided
        assert isinstance(loaded.get('decided'), str) and '\n' not in loaded['decided'] and \
            len(loaded['decided']) <= 160
    for sweep in loaded['sweeps']:
        for overrides in sweep['variants'].values():
            merged = dict(sweep.get('set') or {}, **overrides)
            merged.pop('lr', None)
            compose_option(sweep['task'], sweep.get('method', 'ours'), overrides=merged)
    summary_path = spec[:-4] + '.json'
    if os.path.isfile(summary_path):
        summary = json.loads(open(summary_path).read())
        labels = [[v['label'] for v in s['variants'] if not v.get('reference')] for s in summary['sweeps']]
        assert labels == [list(s['variants']) for s in loaded['sweeps']]


def fake_report(avg_gaps, forget_gaps, time_fraction=0.04):
    """A test report of 'original', 'retrained' and one run per (method, seed) with the given gaps."""
    tasks = ['rain', 'haze']
    models, gaps, checks, cost = {}, {}, {}, {}
    for label, avg in avg_gaps.items():
        models[label] = {'tasks': {t: {'psnr': 20.0 + avg, 'ssim': 0.5} for t in tasks}}
        gaps[label] = {'avg_gap': avg, 'forget_gap': {'rain': forget_gaps[label]}, 'retain_change': {'haze': -avg / 10},
                       'mia_gap': avg / 100}
        checks[label] = [{'target_key': 'forget_gap_db', 'met': forget_gaps[label] <= 0.5},
                         {'target_key': 'retain_drop_db', 'met': avg / 10 <= 0.2}]
        cost[label] = {'time_fraction': time_fraction, 'lr': 1e-3}
    return dict(tasks=tasks, models=models, gaps=gaps, checks=checks, cost=cost)


def test_seed_statistics_and_which_differences_exceed_the_spread():
    from basicsr_unlearn.runs.benchmark import compare_to, seed_statistics
    report = fake_report({'ours s0': 1.0, 'ours s1': 1.4, 'ours s2': 1.2, 'paper s0': 3.0, 'paper s1': 2.0,
                          'paper s2': 4.0},
                         {'ours s0': 0.3, 'ours s1': 0.6, 'ours s2': 0.4, 'paper s0': 2.0, 'paper s1': 1.0,
                          'paper s2': 3.0})
    stats = seed_statistics(report, {'ours': ['ours s0', 'ours s1', 'ours s2'],
                                     'paper': ['paper s0', 'paper s1', 'paper s2']})
    ours = stats['ours']
    assert abs(ours['avg_gap']['mean'] - 1.2) < 1e-12 and abs(ours['avg_gap']['spread'] - 0.4) < 1e-12
    assert ours['forget_gap']['rain']['values'] == [0.3, 0.6, 0.4] and ours['lr'] == 1e-3
    assert ours['targets_met'] == {'forget_gap_db': 2, 'retain_drop_db': 3}  # seed 1 missed the forget gap
    assert stats['paper']['targets_met'] == {'forget_gap_db': 0, 'retain_drop_db': 1}
    assert abs(stats['paper']['psnr']['rain']['mean'] - 23.0) < 1e-12
    rows = {r['metric']: r for r in compare_to(stats)}
    assert abs(rows['avg_gap']['difference'] + 1.8) < 1e-12 and rows['avg_gap']['spread'] == 2.0
    assert not rows['avg_gap']['beyond_spread']  # 1.8 dB better on the mean, but paper's seeds spread over 2.0
    assert rows['worst_retain_change']['difference'] > 0 and set(rows) == {'avg_gap', 'worst_retain_change',
                                                                           'mia_gap'}


def test_a_kept_results_file_says_when_every_row_was_re_run():
    from basicsr_unlearn.runs.benchmark import RERUN_PROVENANCE, refresh_provenance
    kept = dict(provenance='copied from an older table', models=dict(original={}, retrained={}, ours={}, paper={}),
                updates=[dict(models=['ours'])])
    refresh_provenance(kept)
    assert kept['provenance'] == 'copied from an older table'  # paper's row is still the old one
    kept['updates'].append(dict(models=['ours', 'paper']))
    refresh_provenance(kept)
    assert kept['provenance'] == RERUN_PROVENANCE
