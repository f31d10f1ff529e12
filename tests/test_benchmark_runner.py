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
    assert out.count('val Avg. Gap') == 2 and out.count('neggrad') >= 3  # sweep lines, then the test table
    assert (folder / 'report.md').is_file() and (folder / 'report.png').is_file()


def test_unknown_method_is_named_before_any_work(tmp_path, capsys):
    assert cli(['benchmark', '--methods', 'ours', 'forgetall', '--data', str(tmp_path / 'none')]) == 2
    assert "--methods: ['forgetall'] not in options/unlearn/methods.yml" in capsys.readouterr().err
    assert not (tmp_path / 'none').exists()  # nothing was built
