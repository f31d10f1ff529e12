"""The benchmark runner: every method under one budget, its learning rate chosen on val, judged on test."""
import json

from basicsr_unlearn.cli import main as cli


def test_learning_rate_is_chosen_on_val_and_the_report_is_on_test(mini_benchmark, monkeypatch, capsys):
    monkeypatch.chdir(mini_benchmark)
    assert cli(['benchmark', '--task', 'rain', '--methods', 'neggrad', '--lrs', '1e-4', '4e-4',
                '--steps', '2', '--out', 'bench']) == 0  # one method: each evaluation takes ~30 s on 2 cores
    folder = mini_benchmark / 'bench' / 'forget_rain'
    rows = json.loads((folder / 'val_sweep.json').read_text())
    assert [(r['method'], r['lr'], r['steps']) for r in rows] == [('neggrad', 1e-4, 2), ('neggrad', 4e-4, 2)]
    report = json.loads((folder / 'report.json').read_text())
    assert report['split'] == 'test' and list(report['models']) == ['original', 'retrained', 'neggrad']
    best = min(rows, key=lambda r: r['val_avg_gap'])
    assert report['cost']['neggrad']['lr'] == best['lr'] and report['cost']['neggrad']['steps'] == 2
    assert report['weights']['neggrad'] == best['weights']  # the run chosen on val is the one tested
    assert list(report['checks']) == ['neggrad']
    out = capsys.readouterr().out
    assert out.count('val Avg. Gap') == 3 and out.count('neggrad') >= 3  # the bar, sweep lines, then the test table
    assert 'original (no unlearning)     val Avg. Gap' in out
    assert (folder / 'report.md').is_file() and (folder / 'report.png').is_file()


def test_unknown_method_is_named_before_any_work(tmp_path, capsys):
    assert cli(['benchmark', '--methods', 'ours', 'forgetall', '--data', str(tmp_path / 'none')]) == 2
    assert "--methods: ['forgetall'] not in options/unlearn/methods.yml" in capsys.readouterr().err
    assert not (tmp_path / 'none').exists()  # nothing was built


def test_sweep_labels_stay_apart_and_seeds_reach_run_sweep(monkeypatch, capsys):
    from basicsr_unlearn.evaluation import benchmark_runner
    seen = {}

    def fake_run_sweep(task, variants, data_root, out, seeds):
        seen.update(variants=variants, seeds=seeds)
        row = dict(val_avg_gap=1.0, val_forget_gap={'rain': 0.5}, val_retain_change={'haze': -0.1}, val_mia_gap=0.01)
        return [benchmark_runner.summarise_seeds(label, [row, dict(row, val_avg_gap=2.0)]) for label in variants]

    monkeypatch.setattr(benchmark_runner, 'run_sweep', fake_run_sweep)
    assert cli(['sweep', '--seeds', '0', '1', '--set', 'train:total_iter=80', '--vary',
                'train:distill_opt:loss_weight=3', 'train:pixel_opt:loss_weight=3']) == 0
    variants = seen['variants']  # two keys ending in loss_weight=3: neither replaces the other
    assert variants['loss_weight=3'] == {'train:total_iter': 80, 'train:distill_opt:loss_weight': 3}
    assert variants['train:pixel_opt:loss_weight=3'] == {'train:total_iter': 80, 'train:pixel_opt:loss_weight': 3}
    assert seen['seeds'] == [0, 1]
    assert 'val Avg. Gap 1.500  (seeds 0 1: spread 1.000)' in capsys.readouterr().out


def test_a_misspelt_sweep_key_is_named_before_any_run(tmp_path, capsys):
    assert cli(['sweep', '--data', str(tmp_path / 'none'), '--vary', 'train:forgt_opt:loss_weight=2']) == 2
    err = capsys.readouterr().err
    assert "option `train:forgt_opt:loss_weight`: `train` has no key 'forgt_opt'" in err
    assert cli(['sweep', '--data', str(tmp_path / 'none'), '--vary', 'datasets:train:retain:9:weight=2']) == 2
    assert '`datasets:train:retain` is a list of 4; expected an index below 4' in capsys.readouterr().err
    assert not (tmp_path / 'none').exists()  # no benchmark was built, no run started


def test_set_option_key_sets_new_blocks_whole_and_list_items_by_index():
    from basicsr_unlearn.unlearning_runs import set_option_key
    opt = {'train': {'forget_opt': {'loss_weight': 1}}, 'datasets': {'train': {'retain': [{'weight': 1}] * 2}}}
    set_option_key(opt, 'train:anchor_opt', {'loss_weight': 0.01})
    set_option_key(opt, 'train:forget_opt:loss_weight', 0.5)
    set_option_key(opt, 'datasets:train:retain:1', {'weight': 3})
    assert opt['train'] == {'forget_opt': {'loss_weight': 0.5}, 'anchor_opt': {'loss_weight': 0.01}}
    assert opt['datasets']['train']['retain'] == [{'weight': 1}, {'weight': 3}]


def test_seed_summary_averages_every_number():
    from basicsr_unlearn.evaluation.benchmark_runner import summarise_seeds
    rows = [dict(val_avg_gap=2.0, val_forget_gap={'rain': 1.0}, val_retain_change={'haze': -0.2}, val_mia_gap=0.1),
            dict(val_avg_gap=5.0, val_forget_gap={'rain': 0.0}, val_retain_change={'haze': 0.4}, val_mia_gap=0.3)]
    summary = summarise_seeds('x', rows)
    assert summary['val_avg_gap'] == 3.5 and summary['val_avg_gap_spread'] == 3.0 and summary['runs'] == 2
    assert summary['val_forget_gap'] == {'rain': 0.5} and abs(summary['val_retain_change']['haze'] - 0.1) < 1e-12
    assert abs(summary['val_mia_gap'] - 0.2) < 1e-12 and summary['rows'] == rows


def test_run_sweep_runs_each_variant_once_per_seed_and_ranks_by_the_mean(monkeypatch):
    from basicsr_unlearn.evaluation import benchmark_runner
    calls = []
    scores = {('a', 0): 1.0, ('a', 1): 5.0, ('b', 0): 2.0, ('b', 1): 2.5}  # a wins seed 0, b wins on the mean

    class FakeRunner:
        def __init__(self, task, data_root, out):
            pass

        def run(self, label, method, lr, overrides):
            calls.append((label, method, lr, overrides))
            gap = scores[(label.split('_')[0], overrides['manual_seed'])]
            return dict(val_avg_gap=gap, val_forget_gap={'rain': gap}, val_retain_change={}, val_mia_gap=0.0), None, None

        def save_rows(self, name):
            pass

    monkeypatch.setattr(benchmark_runner, 'Runner', FakeRunner)
    variants = {'a': {'lr': 1e-3, 'train:total_iter': 60}, 'b': {}}
    summaries = benchmark_runner.run_sweep('rain', variants, seeds=[0, 1])
    assert [c[0] for c in calls] == ['a_seed0', 'a_seed1', 'b_seed0', 'b_seed1']
    assert calls[0][1:] == ('ours', 1e-3, {'train:total_iter': 60, 'manual_seed': 0})  # lr is not an option key
    assert calls[3][2:] == (None, {'manual_seed': 1})
    assert [s['label'] for s in summaries] == ['b', 'a'] and summaries[0]['val_avg_gap'] == 2.25
    assert variants['a'] == {'lr': 1e-3, 'train:total_iter': 60}  # the caller's dict is left as it was
