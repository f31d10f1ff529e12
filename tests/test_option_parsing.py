"""Option files: safe YAML with 1e-4 floats, BasicSR's parse_options on CPU, rooted at the cwd."""
import os
import re
import sys

import pytest
import yaml

import basicsr
from basicsr.utils import options as basicsr_options
from basicsr_unlearn.utils.options import OptionLoader, load_option_file
from basicsr_unlearn.utils import OptionError, UserError


def test_floats_written_the_usual_way():
    opt = yaml.load('lr: 1e-4\nb: 2E3\nc: .5\nd: 1.0e-4\ne: 10\nf: v1e4\n', Loader=OptionLoader)
    assert opt == {'lr': 1e-4, 'b': 2000.0, 'c': 0.5, 'd': 1e-4, 'e': 10, 'f': 'v1e4'}
    assert isinstance(opt['e'], int)


def test_python_tags_and_duplicate_keys_refused(tmp_path):
    hostile = tmp_path / 'hostile.yml'
    hostile.write_text(f'name: !!python/object/apply:os.mkdir ["{tmp_path}/pwned"]\n')
    with pytest.raises(ValueError, match='hostile.yml'):
        load_option_file(hostile)
    assert not (tmp_path / 'pwned').exists()
    with pytest.raises(yaml.YAMLError, match='duplicate option key `lr`'):
        yaml.load('lr: 1\nlr: 2\n', Loader=OptionLoader)


def yaml_bomb(levels=9, width=9):
    """'Billion laughs': each level lists the previous one ``width`` times, 9**9 leaves when expanded."""
    lines = ['l0: &l0 [lol]']
    lines += [f'l{i}: &l{i} [{", ".join([f"*l{i - 1}"] * width)}]' for i in range(1, levels + 1)]
    return '\n'.join(lines) + '\n'


def test_aliases_are_refused_before_anything_expands_them(tmp_path):
    bomb = tmp_path / 'bomb.yml'
    bomb.write_text(yaml_bomb())
    with pytest.raises(UserError, match=r'bomb\.yml.*alias'):
        load_option_file(bomb)
    merges = tmp_path / 'merges.yml'
    merges.write_text('a: &a {x: 1}\nb: {<<: [*a, *a]}\n')
    with pytest.raises(UserError, match=r'merges\.yml.*merge key'):
        load_option_file(merges)


def test_basicsr_uses_the_safe_loader():
    assert basicsr_options.ordered_yaml()[0] is OptionLoader


def parse(monkeypatch, tmp_path, opt, root, *args, text=''):
    path = tmp_path / 'opt.yml'
    path.write_text(yaml.safe_dump(opt) + text)
    monkeypatch.setattr(sys, 'argv', ['train.py', '-opt', str(path), *args])
    monkeypatch.chdir(tmp_path)
    return basicsr_options.parse_options(root, is_train=True)[0]


def minimal(**extra):
    return dict(name='t', model_type='SRModel', num_gpu=0, manual_seed=7,
                datasets=dict(train=dict(name='a', type='PairedImageDataset')), path={}, **extra)


def test_site_packages_root_becomes_the_cwd(monkeypatch, tmp_path):
    site_packages = os.path.dirname(os.path.dirname(basicsr.__file__))
    opt = parse(monkeypatch, tmp_path, minimal(), site_packages)
    assert opt['path']['experiments_root'] == os.path.join(str(tmp_path), 'experiments', 't')
    checkout = str(tmp_path / 'BasicSR')
    assert parse(monkeypatch, tmp_path, minimal(), checkout)['path']['experiments_root'].startswith(checkout)


def test_datasets_get_the_manual_seed(monkeypatch, tmp_path):
    assert parse(monkeypatch, tmp_path, minimal(), str(tmp_path))['datasets']['train']['seed'] == 7


def test_gpu_request_without_cuda(monkeypatch, tmp_path):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(OptionError, match='num_gpu'):
        parse(monkeypatch, tmp_path, dict(minimal(), num_gpu=1), str(tmp_path))


def test_basicsrs_own_parsing_refuses_a_yaml_bomb_naming_the_file(monkeypatch, tmp_path):
    with pytest.raises(UserError, match=r'opt\.yml.*alias'):
        parse(monkeypatch, tmp_path, minimal(), str(tmp_path), text=yaml_bomb(levels=3))


def test_force_yml_refuses_an_unknown_last_key(monkeypatch, tmp_path):
    opt = minimal(train=dict(total_iter=5))
    with pytest.raises(OptionError, match=r"no key 'total_itr' \(did you mean 'total_iter'\?\).*opt\.yml"):
        parse(monkeypatch, tmp_path, opt, str(tmp_path), '--force_yml', 'train:total_itr=2')
    with pytest.raises(OptionError, match=r"no key 'warmup_iter'; .*add new ones to .*opt\.yml"):
        parse(monkeypatch, tmp_path, opt, str(tmp_path), '--force_yml', 'train:warmup_iter=10')
    forced = parse(monkeypatch, tmp_path, opt, str(tmp_path), '--force_yml', 'train:total_iter=2')
    assert forced['train']['total_iter'] == 2


@pytest.mark.parametrize('entry', ['train', 'test'])
def test_our_entry_points_refuse_bad_options_in_one_line(tmp_path, entry):
    """A YAML bomb, or a misspelt --force_yml key: the message names the file or key, no traceback."""
    import subprocess
    bomb, opt = tmp_path / 'bomb.yml', tmp_path / 'opt.yml'
    bomb.write_text(yaml_bomb(levels=3))
    opt.write_text(yaml.safe_dump(minimal(train=dict(total_iter=5))))
    for args, named in ((['-opt', str(bomb)], r'bomb\.yml.*alias'),
                        (['-opt', str(opt), '--force_yml', 'train:total_itr=2'], r"no key 'total_itr'")):
        result = subprocess.run([sys.executable, '-m', f'basicsr_unlearn.{entry}'] + args, cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and result.stderr.count('\n') == 1, result.stderr
        assert re.search(rf'^basicsr_unlearn\.{entry}: error: .*{named}', result.stderr), result.stderr


def test_command_line_option_values_are_yaml_with_exponent_numbers():
    from basicsr_unlearn.cli import option_value
    assert option_value('1e-3') == pytest.approx(1e-3)  # YAML 1.1 alone reads this as a string
    assert option_value('l2') == 'l2'
    assert option_value('{loss_weight: 0.5, norm: linf}') == {'loss_weight': 0.5, 'norm': 'linf'}
    assert option_value('~') is None


def test_what_we_write_we_can_read_back():
    """A block shared by two keys is written out twice, not as an alias the loader would refuse."""
    import yaml
    from basicsr_unlearn.utils.options import OptionDumper
    shared = {'type': 'L1Loss', 'loss_weight': 1.0}
    text = yaml.dump({'pixel_opt': shared, 'distill_opt': shared}, Dumper=OptionDumper)
    assert '&' not in text and yaml.load(text, Loader=OptionLoader) == {'pixel_opt': shared, 'distill_opt': shared}
