"""Reliability (docs/Reliability.md): resumed and multi-process runs reproduce the plain run, evidence
stays bound to its weights, non-finite numbers stop things, and nothing we did not write is overwritten."""
import json
import os
import shutil

import pytest
import torch
import yaml

from basicsr.archs import build_network
from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.data.paired_source import PairedSource
from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.report_writer import write_report
from basicsr_unlearn.runs.launch import write_option_file
from basicsr_unlearn.utils import ExistingFileError, OptionError, UserError
from conftest import BASICSR_TRAIN, PYTHON, TINY_NET, TORCHRUN, run, unlearn_options, write_options
from conftest import trained_weights as final_weights
from test_model import make_model, train_steps


def max_difference(a, b):
    return max((a[k] - b[k]).abs().max().item() for k in a)


def resumable_options(tiny_data, tiny_pretrained, name, total_iter):
    """8 forget pairs in batches of 2: 4 iterations an epoch; a checkpoint every 3 lands mid-epoch.
    Distillation, forget_mix and PGD on, as in the shipped files."""
    opt = unlearn_options(tiny_data, tiny_pretrained, name=name, total_iter=total_iter, batch=2,
                          distill_opt=dict(type='CharbonnierLoss', loss_weight=1.0, eps=1e-4))
    opt['datasets']['train']['forget_mix'] = 1.0
    opt['logger']['save_checkpoint_freq'] = 3
    opt['val']['val_freq'] = 100
    return opt


@pytest.mark.slow
@pytest.mark.parametrize('entry', ['module', 'basicsr_script'])
def test_a_run_resumed_mid_epoch_ends_where_the_plain_run_ends(tiny_data, tiny_pretrained, tmp_path, entry):
    command = [PYTHON, '-m', 'basicsr_unlearn.train'] if entry == 'module' else [PYTHON, BASICSR_TRAIN]
    plain = write_options(tmp_path / 'plain.yml', resumable_options(tiny_data, tiny_pretrained, 'plain', 9))
    run(command + ['-opt', str(plain)], cwd=tmp_path)
    # interrupted: the run saved 3.state (the third of epoch 0's four batches) and stopped before
    # the next checkpoint, as a kill at iteration 4 or 5 leaves it
    stopped = write_options(tmp_path / 'resumed.yml', resumable_options(tiny_data, tiny_pretrained, 'resumed', 5))
    run(command + ['-opt', str(stopped)], cwd=tmp_path)
    assert sorted(os.listdir(tmp_path / 'experiments/resumed/training_states')) == ['3.state']
    write_options(tmp_path / 'resumed.yml', resumable_options(tiny_data, tiny_pretrained, 'resumed', 9))
    log = run(command + ['-opt', str(stopped), '--auto_resume'], cwd=tmp_path).stderr
    assert 'Resuming training from epoch: 0, iter: 3.' in log
    assert max_difference(final_weights(tmp_path, 'plain'), final_weights(tmp_path, 'resumed')) < 1e-6


@pytest.mark.slow
def test_training_in_chunks_ends_where_one_run_ends_and_sums_its_sittings(tiny_data, tiny_pretrained, tmp_path):
    """Two sittings of one chunk each train what one plain run trains; the ledger sums them and
    refuses another option in the same folder."""
    from basicsr_unlearn.runs.chunked_training import train_in_chunks
    plain = write_options(tmp_path / 'plain.yml', resumable_options(tiny_data, tiny_pretrained, 'plain', 6))
    run([PYTHON, '-m', 'basicsr_unlearn.train', '-opt', str(plain)], cwd=tmp_path)
    opt = resumable_options(tiny_data, tiny_pretrained, 'chunked', 6)
    work = tmp_path / 'chunked'
    first = train_in_chunks(opt, str(work), chunk_iters=3, max_chunks=1, show_progress=False)
    assert first['done'] == 3 and len(first['chunks']) == 1
    second = train_in_chunks(opt, str(work), chunk_iters=3, show_progress=False)  # the next sitting
    assert [(c['start'], c['end']) for c in second['chunks']] == [(0, 3), (3, 6)]
    assert second['wall_time_s'] == pytest.approx(sum(c['wall_time_s'] for c in second['chunks']), abs=0.2)
    assert max_difference(final_weights(tmp_path, 'plain'), final_weights(work, 'chunked')) < 1e-6
    assert train_in_chunks(opt, str(work), chunk_iters=3, show_progress=False)['chunks'] == second['chunks']
    other = resumable_options(tiny_data, tiny_pretrained, 'chunked', 6)
    other['train']['optim_g']['lr'] = 1e-4
    with pytest.raises(UserError, match='another option'):
        train_in_chunks(other, str(work), chunk_iters=3, show_progress=False)
    with pytest.raises(OptionError, match='save_checkpoint_freq'):
        train_in_chunks(opt, str(work), chunk_iters=4, show_progress=False)


@pytest.mark.parametrize('ledger', ['{"chunks": [', '[]'])
def test_a_damaged_chunk_ledger_is_named(tmp_path, ledger):
    from basicsr_unlearn.runs.chunked_training import train_in_chunks
    opt = dict(name='x', train=dict(total_iter=6), logger=dict(save_checkpoint_freq=3))
    (tmp_path / 'x.chunks.json').write_text(ledger)
    with pytest.raises(UserError, match=r'x\.chunks\.json: not a (readable )?chunk ledger'):
        train_in_chunks(opt, str(tmp_path), 3)


@pytest.mark.parametrize('chunk', ['0', '-2500', 'x'])
def test_zoo_train_refuses_a_chunk_that_is_no_positive_count(tmp_path, capsys, chunk):
    with pytest.raises(SystemExit) as parser_exit:
        cli(['zoo-train', '--out', str(tmp_path / 'zoo'), '--chunk', chunk])
    assert parser_exit.value.code == 2 and f"argument --chunk: expected an integer > 0, got '{chunk}'" in \
        capsys.readouterr().err and not (tmp_path / 'zoo').exists()


@pytest.mark.slow
def test_a_truncated_latest_state_falls_back_to_the_previous_one(tiny_data, tiny_pretrained, tmp_path):
    opt = write_options(tmp_path / 'cut.yml', resumable_options(tiny_data, tiny_pretrained, 'cut', 7))
    run([PYTHON, '-m', 'basicsr_unlearn.train', '-opt', str(opt)], cwd=tmp_path)
    states = tmp_path / 'experiments/cut/training_states'
    latest = states / '6.state'
    latest.write_bytes(latest.read_bytes()[:200])  # what a kill while saving left before saves were atomic
    write_options(tmp_path / 'cut.yml', resumable_options(tiny_data, tiny_pretrained, 'cut', 8))
    log = run([PYTHON, '-m', 'basicsr_unlearn.train', '-opt', str(opt), '--auto_resume'], cwd=tmp_path).stderr
    assert f'resume state {latest} cannot be read' in log and 'falling back to 3.state' in log
    assert 'Resuming training from epoch: 0, iter: 3.' in log


def test_a_crafted_resume_state_is_refused_by_name(tmp_path):
    from basicsr_unlearn.compat.checkpoints import read_resume_state
    crafted = tmp_path / '9.state'

    class Payload:
        def __reduce__(self):
            return os.mkdir, (str(tmp_path / 'pwned'),)
    torch.save({'epoch': 0, 'iter': 9, 'optimizers': [Payload()], 'schedulers': []}, crafted)
    with pytest.raises(UserError, match=f'resume state {crafted} cannot be read'):
        read_resume_state(str(crafted))
    assert not (tmp_path / 'pwned').exists()


def shipped_option_small(task, data_root, name, batch):
    from basicsr_unlearn.runs.compose import compose_option
    opt = compose_option(task, data_root=str(data_root), name=name, total_iter=4)
    opt['datasets']['train'].update(batch_size_per_gpu=batch, gt_size=32)
    return opt


@pytest.mark.slow
@pytest.mark.parametrize('task', ['rain', 'haze', 'noise', 'rain20'])
def test_two_processes_train_what_one_process_trains_with_every_shipped_file(mini_benchmark, tmp_path, task):
    """rain20 is the deletion file, whose bound averages the reference ratio over the processes.
    Within 2e-4, a fifth of one Adam step at the files' lr 1e-3. The two runs see the same data,
    but DDP sums two half-batch gradients, so float32 rounding differs (~1e-7); Adam divides each
    weight's gradient by its own scale, so where a gradient is near zero that noise can move the
    weight by a fraction of lr. Measured here: 5e-5 (rain), below 1e-5 (haze, noise). L1
    distillation, whose sign() gradients flip on near-zero differences, moved weights by whole
    steps instead (1.4e-3 after one step; 3.4e-2 after 30, benchmarks/reproducibility.py)."""
    data = mini_benchmark / 'datasets' / 'mini_allinone'
    one = write_option_file(shipped_option_small(task, data, 'one', 2), str(tmp_path / 'one.yml'))
    two = write_option_file(shipped_option_small(task, data, 'two', 1), str(tmp_path / 'two.yml'))
    run([PYTHON, '-m', 'basicsr_unlearn.train', '-opt', str(one)], cwd=tmp_path)
    run(TORCHRUN + ['-m', 'basicsr_unlearn.train', '-opt', str(two), '--launcher', 'pytorch'], cwd=tmp_path)
    assert max_difference(final_weights(tmp_path, 'one'), final_weights(tmp_path, 'two')) < 2e-4


def test_a_diverging_run_stops_naming_the_iteration_and_the_term(tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make_model(tiny_data, tiny_pretrained, tmp_path, forget_opt=dict(type='AscentLoss', bound='none'))
    model.optimizer_g.param_groups[0]['lr'] = 1e9
    with pytest.raises(FloatingPointError, match=r'iteration \d+: loss term l_\w+ is (nan|inf|-inf)'):
        train_steps(model, dataset, 20)
    assert all(torch.isfinite(p).all() for p in model.net_g.parameters())  # stopped before the update


def test_evaluation_refuses_non_finite_weights(tmp_path):
    net = build_network(dict(TINY_NET))
    state = net.state_dict()
    state['body.0.weight'][0, 0, 0, 0] = float('nan')
    torch.save({'params': state}, tmp_path / 'nan.pth')
    with pytest.raises(UserError, match=r'nan.pth: 1 weight tensor\(s\) hold NaN or inf'):
        network_from_weights(str(tmp_path / 'nan.pth'), TINY_NET)


def test_an_unrelated_option_file_beside_weights_is_not_taken_for_their_architecture(tmp_path):
    folder = tmp_path / 'elsewhere' / 'models'
    folder.mkdir(parents=True)
    (tmp_path / 'elsewhere' / 'notes.yml').write_text('name: not an option file of these weights\n')
    torch.save({'params': build_network(dict(TINY_NET)).state_dict()}, folder / 'w.pth')
    with pytest.raises(UserError, match='give the one of these weights with --opt'):
        network_from_weights(str(folder / 'w.pth'))  # the zoo's PromptIR is tried, and the mismatch says what to do
    assert network_from_weights(str(folder / 'w.pth'), TINY_NET)[0] is not None


@pytest.mark.parametrize('content', [b'', b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00'], ids=['empty', 'truncated'])
def test_an_undecodable_image_is_named(tiny_data, tmp_path, content):
    shutil.copytree(tiny_data / 'rain' / 'val', tmp_path / 'val')
    victim = sorted(os.listdir(tmp_path / 'val' / 'lq'))[0]
    (tmp_path / 'val' / 'lq' / victim).write_bytes(content)
    pairs = PairedSource(dict(tag='rain', dataroot_gt=str(tmp_path / 'val/gt'), dataroot_lq=str(tmp_path / 'val/lq')),
                         'datasets.train.forget')
    with pytest.raises(UserError, match=f"cannot decode image '.*{victim}' \\(lq\\) of source `rain`"):
        pairs.read(0)


def test_reports_are_never_written_over_a_users_files(tmp_path):
    mine = tmp_path / 'report.md'
    mine.write_text('my notes')
    with pytest.raises(ExistingFileError, match='not written by basicsr_unlearn'):
        write_report({'generator': 'basicsr_unlearn'}, str(tmp_path))
    assert mine.read_text() == 'my notes'


def test_written_files_get_the_permissions_of_a_plain_open(tmp_path):
    """mkstemp makes owner-only files; shipped weights and published zoo entries must be readable."""
    from basicsr_unlearn.utils.files import write_json_atomic
    (tmp_path / 'plain.json').write_text('{}')
    write_json_atomic({}, str(tmp_path / 'atomic.json'))
    assert os.stat(tmp_path / 'atomic.json').st_mode == os.stat(tmp_path / 'plain.json').st_mode


def test_convert_leaves_a_users_partial_file_alone(tiny_pretrained, tmp_path):
    partial = tmp_path / 'out.pth.partial'
    partial.write_text('mine')
    assert cli(['convert-checkpoint', str(tiny_pretrained), str(tmp_path / 'out.pth')]) == 0
    assert partial.read_text() == 'mine' and (tmp_path / 'out.pth').is_file()
    assert sorted(os.listdir(tmp_path)) == ['out.pth', 'out.pth.partial']  # no temporary file left


def test_force_yml_is_typed_yaml_and_runs_nothing(tmp_path):
    from basicsr_unlearn.compat.option_parsing import apply_forced, split_force_yml
    assert split_force_yml(['train.py', '-opt', 'x.yml', '--force_yml', 'a:b=1e-3', 'c=2', '--auto_resume']) == \
        (['train.py', '-opt', 'x.yml', '--auto_resume'], ['a:b=1e-3', 'c=2'])
    opt = apply_forced({'train': {'optim_g': {'lr': 0.1}}}, ['train:optim_g:lr=1e-3'])
    assert opt['train']['optim_g']['lr'] == 1e-3 and isinstance(opt['train']['optim_g']['lr'], float)
    hostile = f'train:x"]; import os; os.mkdir("{tmp_path}/pwned"); y=opt["z=1'
    with pytest.raises(OptionError, match='has no key'):
        apply_forced({'train': {}}, [hostile])  # a key with an odd name: refused, nothing run
    with pytest.raises(OptionError, match="has no key 'tran'"):
        apply_forced({'train': {}}, ['tran:total_iter=5'])
    with pytest.raises(OptionError, match='not valid YAML'):
        apply_forced({'train': {}}, ['train:x={unclosed'])
    assert not (tmp_path / 'pwned').exists()


@pytest.mark.slow
def test_force_yml_through_basicsrs_own_script(tiny_data, tiny_pretrained, tmp_path):
    opt = write_options(tmp_path / 'forced.yml',
                        unlearn_options(tiny_data, tiny_pretrained, name='forced', total_iter=2))
    log = run([PYTHON, BASICSR_TRAIN, '-opt', str(opt), '--force_yml', 'train:optim_g:lr=2e-3',
               'train:total_iter=1'], cwd=tmp_path).stderr
    assert 'lr:(2.000e-03,)' in log and 'iter:       1,' in log
    kept = yaml.safe_load((tmp_path / 'experiments/forced/forced.yml').read_text())
    assert kept['train']['total_iter'] == 1  # the experiment keeps the options it ran with


def test_bad_yaml_in_a_sweep_argument_is_named(capsys):
    assert cli(['sweep', '--task', 'rain', '--set', 'train:x={unclosed']) == 2
    assert "--set train:x={unclosed: the value '{unclosed' is not valid YAML" in capsys.readouterr().err


def test_a_report_binds_its_evidence_to_the_weights(tiny_data, tiny_pretrained, tmp_path):
    from basicsr_unlearn.evaluation.unlearning_report import build_report
    from basicsr_unlearn.export.export_entry import ExportRefused, check_evidence_is_of
    from basicsr_unlearn.utils.hashing import sha256_file
    net = network_from_weights(str(tiny_pretrained), TINY_NET)[0]
    report = build_report({'original': net, 'retrained': net, 'unlearned': net}, 'rain', str(tiny_data),
                          ['rain', 'noise25', 'haze'], split='val', non_member_splits=('val',),
                          weights={'unlearned': str(tiny_pretrained)})
    assert report['weights_sha256'] == {'unlearned': sha256_file(str(tiny_pretrained))}
    check_evidence_is_of(report, 'report.json', 'unlearned', str(tiny_pretrained))
    other = tmp_path / 'other.pth'
    torch.save({'params': build_network(dict(TINY_NET)).state_dict()}, other)
    with pytest.raises(ExportRefused, match='the weights changed after the evaluation'):
        check_evidence_is_of(report, 'report.json', 'unlearned', str(other))
    with pytest.raises(ExportRefused, match='records no sha256'):
        check_evidence_is_of(dict(report, weights_sha256={}), 'report.json', 'unlearned', str(tiny_pretrained))
    assert json.loads(json.dumps(report))['generator'] == 'basicsr_unlearn'


@pytest.mark.slow
def test_the_device_check_reports_failed_steps_and_leaves_no_scratch(tmp_path):
    """On data it cannot train on, every run fails: the script says so, exits non-zero, keeps the
    caller's thread count, and removes its scratch folders."""
    import subprocess
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    (tmp_path / 'scratch').mkdir()
    (tmp_path / 'not_a_benchmark').mkdir()
    env = dict(os.environ, SMOKE='1', DATA=str(tmp_path / 'not_a_benchmark'), OUT=str(tmp_path / 'out'),
               TMPDIR=str(tmp_path / 'scratch'), OMP_NUM_THREADS='1')
    result = subprocess.run(['bash', os.path.join(repo, 'benchmarks', 'device_check.sh')], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode != 0, result.stdout
    assert 'device_rain_promptir_x1: exit 1' in result.stdout and 'device_rain_adair_x1: exit 1' in result.stdout
    assert [name for name in os.listdir(tmp_path / 'scratch') if name.startswith('tmp.')] == []  # mktemp's
    assert (tmp_path / 'out' / 'logs.tar.gz').is_file()
