"""Zoo entries: export with evidence, BasicSR's own test.py reproduces the card, verify passes
and catches an altered byte, an edited card or Markdown, a re-signed card whose verdicts its numbers
do not give; hostile entries run nothing, lineage across two unlearnings."""
import os
import re
import shutil

import pytest
import torch
import yaml

import basicsr
from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.utils.options import OptionDumper
from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.report_writer import write_report
from basicsr_unlearn.evaluation.unlearning_report import build_report
from basicsr_unlearn.export.export_entry import ExportRefused, export_entry
from basicsr_unlearn.export.model_card import FORCED_LINE, card_markdown, card_signature, read_card
from basicsr_unlearn.utils import OptionError
from basicsr_unlearn.utils.hashing import sha256_file
from conftest import PYTHON, TAGS, TINY_NET, run, unlearn_options, write_options

pytestmark = pytest.mark.slow  # trains and evaluates in subprocesses

BASICSR_TEST = os.path.join(os.path.dirname(basicsr.__file__), 'test.py')


def unlearn(cwd, data, start, name, forget='rain', retain=('noise25', 'haze')):
    """A short unlearning run through our entry point; returns (option file in experiments/, weights)."""
    opt = unlearn_options(data, start, name=name, total_iter=4)
    opt['datasets']['train']['forget'] = dict(tag=forget, dataroot_gt=str(data / forget / 'train/gt'),
                                              dataroot_lq=str(data / forget / 'train/lq'))
    opt['datasets']['train']['retain'] = [dict(tag=t, dataroot_gt=str(data / t / 'train/gt'),
                                               dataroot_lq=str(data / t / 'train/lq')) for t in retain]
    path = write_options(cwd / f'{name}.yml', opt)
    run([PYTHON, '-m', 'basicsr_unlearn.train', '-opt', str(path)], cwd=cwd)
    return cwd / 'experiments' / name / f'{name}.yml', cwd / 'experiments' / name / 'models' / 'net_g_latest.pth'


def evaluate(cwd, data, forget, original, retrained, unlearned, folder):
    """report.json of original, unlearned and (unless ``retrained`` is None) retrained models."""
    networks = {label: network_from_weights(str(p), dict(TINY_NET))[0]
                for label, p in (('original', original), ('retrained', retrained), ('unlearned', unlearned))
                if p is not None}
    report = build_report(networks, forget, os.path.relpath(data, cwd), list(TAGS), split='val',
                          non_member_splits=('val',), weights={'unlearned': str(unlearned)})
    write_report(report, str(cwd / folder))
    return cwd / folder / 'report.json'


@pytest.fixture(scope='module')
def entry(tmp_path_factory, tiny_data, tiny_pretrained):
    """An exported entry under a folder of its own; entries name their files relative to that folder."""
    cwd = tmp_path_factory.mktemp('zoo')
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        option, weights = unlearn(cwd, tiny_data, tiny_pretrained, 'forget_rain')
        report = evaluate(cwd, tiny_data, 'rain', tiny_pretrained, tiny_pretrained, weights, 'report_rain')
        with pytest.raises(ExportRefused, match='misses the thresholds'):  # tiny toy models do not meet them
            export_entry(str(option), str(report), 'zoo/forget_rain')
        assert not os.path.exists('zoo/forget_rain')
        card = export_entry(str(option), str(report), 'zoo/forget_rain', force=True)
    return cwd, card, tiny_data


@pytest.fixture(autouse=True)
def in_entry_folder(entry, monkeypatch):
    """Each test runs in the entry's folder and leaves the working directory as it found it."""
    monkeypatch.chdir(entry[0])


def test_entry_contents(entry):
    cwd, card, _ = entry
    folder = cwd / 'zoo' / 'forget_rain'
    assert sorted(os.listdir(folder)) == ['forget_rain.pth', 'model_card.md', 'model_card.yml', 'test_options.yml']
    assert set(torch.load(folder / 'forget_rain.pth', weights_only=True)) == {'params'}
    md = (folder / 'model_card.md').read_text()
    assert md.splitlines()[0] == FORCED_LINE and card['export']['forced']
    assert card['forgotten']['images'] == 16 and len(card['forgotten']['fingerprint']) == 64  # 8 pairs, gt + lq
    everything = md + (folder / 'model_card.yml').read_text()
    assert 'rain_000' not in everything  # the forget set is only a fingerprint
    assert card['versions']['basicsr'] == basicsr.__version__ and card['retained'] == ['noise25', 'haze']
    assert set(card['evidence']) >= {'original', 'retrained', 'unlearned', 'membership_auc', 'input_psnr'}
    assert card['evidence']['report_sha256'] == sha256_file(cwd / 'report_rain/report.json')


def test_basicsr_test_script_reproduces_the_card(entry):
    cwd, card, _ = entry
    log = run([PYTHON, BASICSR_TEST, '-opt', 'zoo/forget_rain/test_options.yml'], cwd=cwd).stderr
    for task, claimed in card['evidence']['unlearned'].items():
        psnr = float(re.search(rf'Validation {task}\n\s+# psnr: ([\d.]+)', log).group(1))
        assert abs(psnr - claimed['psnr']) < 0.01, task
    assert (cwd / 'results' / 'forget_rain_test').is_dir()  # under the cwd, not site-packages


def test_verify_passes_then_fails_on_one_byte(entry, capsys):
    cwd, card, _ = entry
    assert cli(['verify', 'zoo/forget_rain']) == 0
    assert 'verify zoo/forget_rain: OK' in capsys.readouterr().out
    shutil.copytree(cwd / 'zoo/forget_rain', cwd / 'zoo/altered')
    weights = cwd / 'zoo/altered/forget_rain.pth'
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    assert cli(['verify', 'zoo/altered']) == 1
    assert 'weights sha256' in capsys.readouterr().out


def test_hostile_entries_run_nothing(entry, capsys):
    cwd, _, _ = entry
    for victim in ('model_card.yml', 'test_options.yml'):
        folder = cwd / 'zoo' / f'hostile_{victim[:4]}'
        shutil.copytree(cwd / 'zoo/forget_rain', folder)
        with open(folder / victim, 'a') as f:
            f.write(f'pwn: !!python/object/apply:os.mkdir ["{cwd}/pwned"]\n')
        assert cli(['verify', str(folder)]) == 2
        assert 'no !!python tags' in capsys.readouterr().err
    assert not (cwd / 'pwned').exists()


def test_export_never_overwrites(entry, capsys):
    cwd, _, _ = entry
    before = (cwd / 'zoo/forget_rain/model_card.yml').read_text()
    assert cli(['export', '--opt', 'experiments/forget_rain/forget_rain.yml', '--report', 'report_rain/report.json',
                '--out', 'zoo/forget_rain', '--force']) == 2
    assert 'exists' in capsys.readouterr().err and (cwd / 'zoo/forget_rain/model_card.yml').read_text() == before


def test_lineage_rain_then_haze(entry):
    cwd, first, data = entry
    start = cwd / 'zoo/forget_rain/forget_rain.pth'
    option, weights = unlearn(cwd, data, start, 'forget_haze', forget='haze', retain=('noise25',))
    report = evaluate(cwd, data, 'haze', start, start, weights, 'report_haze')
    card = export_entry(str(option), str(report), 'zoo/forget_rain_haze', force=True)
    ancestor = card['lineage'][0]
    assert dict(ancestor, forgotten_psnr=None, input_psnr=None) == dict(
        name='forget_rain', forgotten='rain', sha256=first['weights']['sha256'], verdict=first['export']['verdict'],
        forced=first['export']['forced'], forgotten_psnr=None, input_psnr=None,
        report_sha256=first['evidence']['report_sha256'])
    assert ancestor['forgotten_psnr'] == {'rain': first['evidence']['unlearned']['rain']['psnr']}
    assert card['start']['sha256'] == first['weights']['sha256']
    md = (cwd / 'zoo/forget_rain_haze/model_card.md').read_text()
    assert '## Lineage' in md and "`forget_rain` forgot `rain`" in md and 'verdict' in md.split('## Lineage')[1]


def test_a_failed_export_leaves_nothing_behind(entry):
    cwd, _, data = entry
    option = cwd / 'experiments' / 'forget_rain' / 'forget_rain.yml'
    broken = yaml.safe_load(option.read_text())
    broken['datasets']['train']['forget']['dataroot_gt'] = str(cwd / 'gone')  # fails after the weights are copied
    broken_path = cwd / 'broken.yml'
    broken_path.write_text(yaml.safe_dump(broken))
    with pytest.raises(OptionError, match='folder not found'):
        export_entry(str(broken_path), 'report_rain/report.json', 'zoo/retry', force=True)
    assert not (cwd / 'zoo/retry').exists() and not [p for p in os.listdir(cwd / 'zoo') if p.startswith('.')]
    assert export_entry(str(option), 'report_rain/report.json', 'zoo/retry', force=True)['name'] == 'retry'


def test_export_refuses_weights_the_report_did_not_evaluate(entry):
    cwd, _, data = entry
    option = cwd / 'experiments' / 'forget_rain' / 'forget_rain.yml'
    changed = cwd / 'changed.pth'
    state = torch.load(cwd / 'experiments/forget_rain/models/net_g_latest.pth', weights_only=True)
    state['params'] = {k: v + 1e-3 for k, v in state['params'].items()}
    torch.save(state, changed)
    with pytest.raises(ExportRefused, match='the weights changed after the evaluation'):
        export_entry(str(option), 'report_rain/report.json', 'zoo/changed', checkpoint=str(changed), force=True)
    assert not (cwd / 'zoo/changed').exists()


def test_export_without_a_retrained_model_claims_the_reference_free_verdict(entry, tiny_pretrained):
    cwd, _, data = entry
    report = evaluate(cwd, data, 'rain', tiny_pretrained, None, 'experiments/forget_rain/models/net_g_latest.pth',
                      'report_free')
    card = export_entry('experiments/forget_rain/forget_rain.yml', str(report), 'zoo/free', force=True)
    assert card['export']['verdict'] == 'reference-free' and 'retrained' not in card['evidence']
    assert set(card['export']['thresholds']) == {'forget_below_input_db', 'forget_above_input_db', 'retain_drop_db'}
    md = (cwd / 'zoo/free/model_card.md').read_text()
    assert 'Verdict: reference-free' in md and '| this model |' in md and 'forgotten rain vs input' in md
    assert cli(['verify', 'zoo/free']) == 0


def tampered(cwd, name, edit_card=None, edit_md=None, sign=False):
    """A copy of the entry with its card edited (and its Markdown remade from it, as a careful editor
    would), or its Markdown edited; ``sign``: the card signed again, as a forger who read the code would."""
    folder = cwd / 'zoo' / name
    shutil.copytree(cwd / 'zoo/forget_rain', folder)
    if edit_card:
        card = read_card(str(folder))
        edit_card(card)
        if sign:
            card['signature'] = card_signature(card)
        (folder / 'model_card.yml').write_text(yaml.dump(card, Dumper=OptionDumper, sort_keys=False))
        (folder / 'model_card.md').write_text(card_markdown(card))
    if edit_md:
        (folder / 'model_card.md').write_text(edit_md((folder / 'model_card.md').read_text()))
    return f'zoo/{name}'


def reference_free_row(card, key, index=-1):
    return [row for row in card['evidence']['reference_free'] if row['target_key'] == key][index]


def flip_retain_met(card):  # the fixture's last retained task (haze) misses its target
    reference_free_row(card, 'retain_drop_db')['met'] ^= True


def flip_membership_met(card):
    reference_free_row(card, 'membership_vs_chance')['met'] ^= True


def hide_retain_drop(card):  # the original no better than this model on haze
    ev = card['evidence']
    ev['original']['haze']['psnr'] = ev['unlearned']['haze']['psnr']


def unforce(card):
    card['export'].update(forced=False, violations=[])


def raise_input_psnr(card):
    card['evidence']['input_psnr']['rain'] += 1


def set_membership_auc(card):
    card['evidence']['membership_auc']['unlearned'] = 0.5


@pytest.mark.parametrize('edit, part', [(flip_retain_met, 'evidence'), (flip_membership_met, 'evidence'),
                                        (set_membership_auc, 'evidence'), (hide_retain_drop, 'evidence'),
                                        (raise_input_psnr, 'evidence'), (unforce, 'export')])
def test_verify_fails_on_an_edited_card(entry, capsys, edit, part):
    folder = tampered(entry[0], f'edited_{edit.__name__}', edit_card=edit)
    assert cli(['verify', folder]) == 1
    assert f'FAIL model_card.yml: edited after export ({part} not as export signed)' in capsys.readouterr().out


def test_verify_fails_on_an_unsigned_card(entry, capsys):
    folder = tampered(entry[0], 'unsigned', edit_card=lambda card: card.pop('signature'))
    assert cli(['verify', folder]) == 1
    assert 'FAIL model_card.yml is not signed' in capsys.readouterr().out


@pytest.mark.parametrize('edit, failures', [
    (flip_retain_met, ['retain change haze: met, but -']),
    (flip_membership_met, ['membership AUC vs val: missed, but']),
    (hide_retain_drop, ["retain change haze: measured -", "but the card's PSNRs give +0.00 dB",
                        'retain change haze: listed as missed']),
    (unforce, ['forget gap rain: the card\'s PSNRs give', 'not listed as missed']),
    (raise_input_psnr, ['forgotten rain vs input: measured', 'FAIL unlearned rain     input_psnr card'])])
def test_verify_rederives_what_a_resigned_card_claims(entry, capsys, edit, failures):
    folder = tampered(entry[0], f'resigned_{edit.__name__}', edit_card=edit, sign=True)
    assert cli(['verify', folder]) == 1
    out = capsys.readouterr().out
    assert 'ok   model_card.yml is the card export signed' in out and 'ok   model_card.md is what' in out
    for failure in failures:
        assert failure in out


@pytest.mark.parametrize('edit', [
    lambda md: re.sub(r'^(\| haze \|.*\| )[\d.]+ / [\d.]+( \|)$', r'\g<1>30.00 / 0.9000\2', md, count=1, flags=re.M),
    lambda md: re.sub(r': MISSED: .*$', ': passed', md, count=1, flags=re.M),
    lambda md: md.replace(FORCED_LINE + '\n\n', '')], ids=['table', 'verdict', 'forced_line'])
def test_verify_fails_on_an_edited_markdown(entry, capsys, edit, request):
    folder = tampered(entry[0], f'md_{request.node.callspec.id}', edit_md=edit)
    before = (entry[0] / 'zoo/forget_rain/model_card.md').read_text()
    assert edit(before) != before
    assert cli(['verify', folder]) == 1
    assert 'FAIL model_card.md differs from what model_card.yml gives' in capsys.readouterr().out


def test_verify_names_a_missing_entry_or_file_in_one_line(entry, capsys):
    cwd = entry[0]
    (cwd / 'zoo/not_an_entry').mkdir()
    shutil.copytree(cwd / 'zoo/forget_rain', cwd / 'zoo/no_weights')
    os.remove(cwd / 'zoo/no_weights/forget_rain.pth')
    for folder, named in (('zoo/nowhere', 'zoo/nowhere: no such entry folder'),
                          ('zoo/not_an_entry', 'zoo/not_an_entry: not a zoo entry (it holds no model_card.yml)'),
                          ('zoo/no_weights', 'zoo/no_weights/forget_rain.pth: missing from the entry')):
        assert cli(['verify', folder]) == 2
        err = capsys.readouterr().err
        assert named in err and err.count('\n') == 1, err


def test_export_to_a_dangling_link_is_refused_in_one_line(entry, capsys):
    cwd = entry[0]
    os.symlink(cwd / 'gone', cwd / 'zoo/dangling')
    os.symlink(cwd / 'gone', cwd / 'dangling_folder')
    export = ['export', '--opt', 'experiments/forget_rain/forget_rain.yml', '--report', 'report_rain/report.json',
              '--force', '--out']
    for out, named in (('zoo/dangling', f'zoo/dangling exists (a link to {cwd / "gone"})'),
                       ('dangling_folder/entry', 'dangling_folder is a symbolic link to nothing')):
        assert cli(export + [out]) == 2
        err = capsys.readouterr().err
        assert named in err and err.count('\n') == 1, err
    assert os.path.islink(cwd / 'zoo/dangling') and not os.path.exists(cwd / 'gone')


def test_an_exported_entry_is_readable_by_others(entry):
    cwd = entry[0]
    umask = os.umask(0o022)
    try:
        export_entry('experiments/forget_rain/forget_rain.yml', 'report_rain/report.json', 'zoo/readable', force=True)
    finally:
        os.umask(umask)
    folder = cwd / 'zoo/readable'
    assert folder.stat().st_mode & 0o777 == 0o755  # as os.makedirs would make it, not mkdtemp's 0o700
    assert {(folder / name).stat().st_mode & 0o777 for name in os.listdir(folder)} == {0o644}


def forge_a_pass(card):
    """The forgery of a FORCED entry: the forgotten task dropped from the claims, the original's numbers
    on the retained tasks set just above this model's, nothing listed as missed."""
    ev = card['evidence']
    card['forgotten']['tasks'] = []
    for task in card['retained']:
        ev['original'][task]['psnr'] = ev['unlearned'][task]['psnr'] + 0.05
    ev['reference_free'] = [row for row in ev['reference_free'] if row['target_key'] != 'forget_vs_input']
    card['export'].update(forced=False, violations=[])


def forge_the_references(card):
    """A subtler forgery: claims intact, only the numbers of the models that are not in the entry
    (original, retrained) moved so that every check passes."""
    ev = card['evidence']
    for task in card['forgotten']['tasks']:
        ev['retrained'][task]['psnr'] = ev['unlearned'][task]['psnr']
    for task in card['retained']:
        ev['original'][task]['psnr'] = ev['unlearned'][task]['psnr']
    for row in ev['reference_free']:
        if row['target_key'] == 'retain_drop_db':
            row.update(measured='+0.00 dB', met=True)
    card['export'].update(forced=False, violations=[])


def loosen_thresholds(card):
    card['export']['thresholds'] = dict(forget_gap_db=100.0, retain_drop_db=100.0)
    card['export'].update(forced=False, violations=[])


def test_a_resigned_forgery_of_the_claims_is_refused(entry, capsys):
    assert entry[1]['export']['forced']  # the fixture misses its targets
    folder = tampered(entry[0], 'forged_pass', edit_card=forge_a_pass, sign=True)
    assert cli(['verify', folder]) == 1
    out = capsys.readouterr().out
    assert "FAIL model_card.yml: forgotten.tasks is [], but forgetting 'rain' forgets ['rain']" in out
    folder = tampered(entry[0], 'forged_thresholds', edit_card=loosen_thresholds, sign=True)
    assert cli(['verify', folder]) == 1
    assert "export.thresholds.forget_gap_db is 100.0, looser than this version's 0.5" in capsys.readouterr().out
    folder = tampered(entry[0], 'forged_degradation', sign=True,
                      edit_card=lambda card: card['forgotten'].update(degradation='xyz'))
    assert cli(['verify', folder]) == 1
    assert "FAIL model_card.yml: forgotten.degradation 'xyz': forgotten task(s) ['xyz'] are not among" in \
        capsys.readouterr().out


def test_numbers_of_models_outside_the_entry_are_measured_when_given_and_said_taken_otherwise(
        entry, capsys, tiny_pretrained):
    folder = tampered(entry[0], 'forged_references', edit_card=forge_the_references, sign=True)
    assert cli(['verify', folder]) == 0  # nothing here can tell: the note says what was not measured
    out = capsys.readouterr().out
    assert ('note re-measured: unlearned, input; taken from the card: original PSNR/SSIM (give --original), '
            'retrained PSNR/SSIM (give --retrained), membership AUCs') in out
    assert cli(['verify', folder, '--original', str(tiny_pretrained), '--retrained', str(tiny_pretrained)]) == 1
    out = capsys.readouterr().out
    assert re.search(r'FAIL original  haze     psnr card [\d.]+ now', out)
    assert 'FAIL verdict from the measured numbers: forget gap rain: the measured PSNRs give' in out
    assert 'note re-measured: unlearned, original, retrained, input; taken from the card: membership AUCs' in out
    assert cli(['verify', 'zoo/forget_rain', '--original', str(tiny_pretrained), '--retrained',
                str(tiny_pretrained)]) == 0  # the honest entry passes the same
    assert cli(['verify', 'zoo/forget_rain', '--original', 'zoo/forget_rain/forget_rain.pth']) == 1
    assert "not the model this entry was judged against" in capsys.readouterr().out


def test_a_shipped_zoo_model_is_found_by_the_sha256_on_the_card():
    from basicsr_unlearn.export.verify_entry import reference_weights
    from basicsr_unlearn.zoo import ORIGINAL, zoo_weights
    card = dict(start=dict(sha256=sha256_file(zoo_weights(ORIGINAL))), evidence={})
    assert reference_weights(card, 'original', None) == (zoo_weights(ORIGINAL), [])
    card['evidence']['weights_sha256'] = dict(retrained=sha256_file(zoo_weights('no_rain')))
    assert reference_weights(card, 'retrained', None) == (zoo_weights('no_rain'), [])
    assert reference_weights(dict(card, evidence={}), 'retrained', None) == (None, [])


def ec_key_pair(folder, name):
    """An EC P-256 key pair in PEM, as `openssl ecparam -name prime256v1 -genkey` makes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = folder / f'{name}.pem', folder / f'{name}.pub.pem'
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(private), str(public)


def test_a_publisher_signed_entry_verifies_with_their_key_only(entry, capsys, tmp_path):
    cwd = entry[0]
    mine, my_public = ec_key_pair(tmp_path, 'publisher')
    _, other_public = ec_key_pair(tmp_path, 'someone_else')
    assert cli(['export', '--opt', 'experiments/forget_rain/forget_rain.yml', '--report', 'report_rain/report.json',
                '--out', 'zoo/signed', '--force', '--sign-key', mine]) == 0
    assert (cwd / 'zoo/signed/model.sig').is_file()
    assert cli(['verify', 'zoo/signed', '--public-key', my_public]) == 0
    assert 'ok   model.sig: every file of the entry is as the holder of' in capsys.readouterr().out
    assert cli(['verify', 'zoo/signed']) == 0
    assert 'note model.sig: signed by a publisher key, not checked (give --public-key)' in capsys.readouterr().out
    assert cli(['verify', 'zoo/signed', '--public-key', other_public]) == 1
    assert 'FAIL model.sig does not verify with --public-key' in capsys.readouterr().out
    shutil.copytree(cwd / 'zoo/signed', cwd / 'zoo/signed_then_forged')
    forged = read_card(str(cwd / 'zoo/signed_then_forged'))
    forge_the_references(forged)
    forged['signature'] = card_signature(forged)
    text = yaml.dump(forged, Dumper=OptionDumper, sort_keys=False)
    (cwd / 'zoo/signed_then_forged/model_card.yml').write_text(text)
    (cwd / 'zoo/signed_then_forged/model_card.md').write_text(card_markdown(forged))
    assert cli(['verify', 'zoo/signed_then_forged', '--public-key', my_public]) == 1
    out = capsys.readouterr().out
    assert re.search(r'files changed since it was signed: .*model_card.yml', out), out
    assert cli(['verify', 'zoo/forget_rain', '--public-key', my_public]) == 1
    assert 'FAIL model.sig missing: the entry is not signed' in capsys.readouterr().out


def test_forget_refuses_a_tampered_or_swapped_entry_before_any_work(entry, capsys):
    cwd, _, data = entry
    tampered(cwd, 'laundered', edit_card=unforce, sign=True)
    shutil.copytree(cwd / 'zoo/forget_rain', cwd / 'zoo/swapped')
    shutil.copy(cwd / 'experiments/forget_rain/models/net_g_4.pth', cwd / 'zoo/swapped/forget_rain.pth')
    for folder, named in (('zoo/laundered', 'forget gap rain: the card'), ('zoo/swapped', 'weights sha256')):
        assert cli(['forget', '--weights', folder, '--task', 'haze', '--data', str(data), '--out', 'zoo/next']) == 2
        err = capsys.readouterr().err
        assert f'--weights {folder}: the entry fails verify (' in err and named in err and err.count('\n') == 1, err
    assert not (cwd / 'forget_runs').exists() and not (cwd / 'zoo/next').exists()


@pytest.mark.parametrize('args, named', [(['--name', '/../../x'], "--name: the entry name '/../../x' is not a plain"),
                                         (['--name', 'a/b'], "--name: the entry name 'a/b' is not a plain"),
                                         (['--out', ''], '--out: expected the new entry folder, got an empty path')])
def test_an_entry_name_never_leaves_its_folder(entry, capsys, args, named):
    command = ['export', '--opt', 'experiments/forget_rain/forget_rain.yml', '--report', 'report_rain/report.json',
               '--force'] + (['--out', 'zoo/named'] if '--out' not in args else []) + args
    assert cli(command) == 2
    err = capsys.readouterr().err
    assert named in err and err.count('\n') == 1, err
    assert not os.path.exists('/x.pth') and not (entry[0] / 'zoo/named').exists()


def test_an_exported_entry_follows_the_umask(entry):
    """Decided: an entry's modes are those any tool gives under the user's umask (private under 077)."""
    umask = os.umask(0o077)
    try:
        export_entry('experiments/forget_rain/forget_rain.yml', 'report_rain/report.json', 'zoo/private', force=True)
    finally:
        os.umask(umask)
    folder = entry[0] / 'zoo/private'
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {(folder / name).stat().st_mode & 0o777 for name in os.listdir(folder)} == {0o600}
