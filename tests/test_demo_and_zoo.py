"""The shipped tiny models match their manifest, and the demo runs end to end (few steps here)."""
import json

import pytest

from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.zoo import MODELS, load_manifest, zoo_weights


@pytest.fixture(scope='module')
def bench(mini_benchmark):
    return mini_benchmark


def test_manifest_describes_every_shipped_model():
    manifest = load_manifest()
    assert set(manifest['models']) == set(MODELS)
    for name, entry in manifest['models'].items():
        assert entry['recipe'] == f'options/train/{MODELS[name][0]}.yml' and entry['steps'] > 0
        assert entry['wall_time_s'] > 0 and set(entry['test']) == {'noise15', 'noise25', 'noise50', 'rain', 'haze'}
        assert zoo_weights(name).endswith(entry['file'])


def test_shipped_models_are_good_at_what_they_saw():
    models = load_manifest()['models']
    for name, entry in models.items():
        never_saw = {'noise': ['noise15', 'noise25', 'noise50'], 'rain': ['rain'], 'haze': ['haze'], None: []}[
            entry['never_saw']]
        for task, score in entry['test'].items():
            if task not in never_saw:
                assert score['psnr'] > score['input_psnr'] + 1.0, (name, task)  # a real gain over the input
            else:  # clearly worse than the all-in-one model on the task it never saw
                assert score['psnr'] < models['allinone']['test'][task]['psnr'] - 1.0, (name, task)


@pytest.mark.slow
def test_zoo_check_reproduces_the_manifest(bench, capsys):
    assert cli(['zoo-check', '--data', str(bench / 'datasets' / 'mini_allinone')]) == 0
    assert 'zoo check: OK' in capsys.readouterr().out


@pytest.mark.slow
def test_demo_end_to_end(bench, monkeypatch, capsys):
    monkeypatch.chdir(bench)
    assert cli(['demo', '--steps', '3', '--out', 'runs']) == 0
    out = capsys.readouterr().out
    assert 'unlearned (ours)' in out and 'Report: runs/unlearn_rain_ours/report.md' in out
    assert 'forget gap rain' in out and 'time vs retraining' in out and 'targets met' in out  # the verdict
    report = json.loads((bench / 'runs/unlearn_rain_ours/report.json').read_text())
    assert list(report['models']) == ['original', 'retrained', 'unlearned (ours)']
    assert report['cost']['unlearned (ours)']['steps'] == 3
    assert (bench / 'runs/unlearn_rain_ours/report.png').is_file()
