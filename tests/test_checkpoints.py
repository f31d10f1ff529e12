"""Weights files: the authors' Lightning checkpoints, BasicSR params/params_ema, plain state
dicts; clear mismatch reports; hostile pickles run nothing; the converter command."""
import os
import pickle

import pytest
import torch

from basicsr.archs import build_network
from basicsr_unlearn.cli import main as cli
from basicsr_unlearn.utils.checkpoint import convert_checkpoint, load_weights, read_state_dict
from conftest import DATA

LIGHTNING = str(DATA / 'promptir_tiny_lightning.ckpt')
# the network inside that file (see tools/make_lightning_checkpoint.py)
LIGHTNING_NET = dict(type='PromptIR', dim=4, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 1, 1, 1],
                     ffn_expansion_factor=1, prompt_sizes=[8, 4, 2], prompt_dims=[4, 4, 8, 8])


def test_lightning_checkpoint_loads_strictly():
    raw = torch.load(LIGHTNING, weights_only=True)
    assert {'state_dict', 'optimizer_states', 'lr_schedulers', 'callbacks'} <= set(raw)  # a real Lightning file
    net = build_network(dict(LIGHTNING_NET))
    assert load_weights(net, LIGHTNING) == ''
    assert torch.equal(net.output.weight, raw['state_dict']['net.output.weight'])


def test_basicsr_and_plain_files(tmp_path):
    net = build_network(dict(LIGHTNING_NET))
    state = {k: torch.randn_like(v) for k, v in net.state_dict().items()}
    torch.save({'params': state, 'params_ema': {k: v + 1 for k, v in state.items()}}, tmp_path / 'both.pth')
    torch.save({f'module.{k}': v for k, v in state.items()}, tmp_path / 'plain.pth')
    assert torch.equal(read_state_dict(tmp_path / 'both.pth', 'params_ema')[0]['output.weight'],
                       state['output.weight'] + 1)
    assert read_state_dict(tmp_path / 'both.pth')[1] == 'params'
    loaded, key = read_state_dict(tmp_path / 'plain.pth')
    assert key is None and torch.equal(loaded['output.weight'], state['output.weight'])


def test_mismatch_is_reported_by_key_and_shape():
    bigger = build_network(dict(LIGHTNING_NET, dim=8))
    with pytest.raises(ValueError) as error:
        load_weights(bigger, LIGHTNING)
    message = str(error.value)
    assert 'does not match the network' in message and 'shape of decoder_level1.0.attn.project_out.weight' in message
    assert 'more shape differences' in message
    no_prompts = build_network(dict(LIGHTNING_NET, decoder=False))
    with pytest.raises(ValueError, match=r'key\(s\) in the file unknown to PromptIR.*prompt1'):
        load_weights(no_prompts, LIGHTNING)


class Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_hostile_pickle_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    with open(tmp_path / 'evil.pth', 'wb') as f:
        pickle.dump({'params': Hostile(str(marker))}, f)
    torch.save({'params': {'w': torch.ones(1)}, 'extra': Hostile(str(marker))}, tmp_path / 'evil_zip.pth')
    for name in ('evil.pth', 'evil_zip.pth'):
        with pytest.raises(ValueError, match='weights-only'):
            read_state_dict(tmp_path / name)
    assert not marker.exists()


def test_no_weights_in_file(tmp_path):
    torch.save({'epoch': 3, 'notes': 'x'}, tmp_path / 'empty.pth')
    with pytest.raises(ValueError, match=r"no network weights found.*\['epoch', 'notes'\]"):
        read_state_dict(tmp_path / 'empty.pth')


def test_convert_command(tmp_path, capsys):
    dst = tmp_path / 'promptir_tiny.pth'
    opt = tmp_path / 'net.yml'
    opt.write_text('network_g: ' + str(LIGHTNING_NET).replace("'", ''))
    assert cli(['convert-checkpoint', LIGHTNING, str(dst), '--opt', str(opt)]) == 0
    assert 'matches PromptIR exactly' in capsys.readouterr().out
    converted = torch.load(dst, weights_only=True)
    assert set(converted) == {'params'} and 'output.weight' in converted['params']
    before = dst.read_bytes()
    assert cli(['convert-checkpoint', LIGHTNING, str(dst)]) == 2  # never overwrites
    assert 'exists; not overwriting' in capsys.readouterr().err and dst.read_bytes() == before
    assert cli(['convert-checkpoint', LIGHTNING, str(tmp_path / 'x.pth'), '--arch', 'PromptIR']) == 2
    assert 'does not match the network' in capsys.readouterr().err


def tiny_weights(folder):
    """A weights file of the tests' tiny network, which no PromptIR fits."""
    from conftest import TINY_NET
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({'params': build_network(dict(TINY_NET)).state_dict()}, folder / 'w.pth')
    return str(folder / 'w.pth')


def refusal(*args, **kwargs):
    from basicsr_unlearn.evaluation.networks import network_from_weights
    with pytest.raises(ValueError) as error:
        network_from_weights(*args, **kwargs)
    return str(error.value)


def test_a_refusal_says_where_the_architecture_came_from(tmp_path):
    from basicsr_unlearn.evaluation.networks import architecture_source
    weights = tiny_weights(tmp_path)
    promptir = dict(LIGHTNING_NET)
    arch = refusal(weights, promptir, source=architecture_source(arch='PromptIR'))
    assert 'came from --arch PromptIR' in arch and 'option file' not in arch
    opt = refusal(weights, promptir, source=architecture_source(opt='mine.yml'))
    assert 'came from network_g of mine.yml' in opt
    default = refusal(weights, promptir, source=architecture_source())
    assert 'came from the shipped tiny PromptIR (the default: no --opt or --arch given)' in default
    assert 'came from the shipped tiny PromptIR (no --opt given' in refusal(weights)
    # the zoo's and the runs' own architectures: what differs, and no guess at where it came from
    assert 'does not match the network' in refusal(weights, promptir) and 'came from' not in refusal(weights, promptir)
    for message in (arch, opt, default, refusal(weights)):
        assert 'strict_load_g' not in message  # an option of BasicSR option files, not of these commands


def test_a_refusal_names_the_option_file_beside_the_weights(tmp_path):
    weights = tiny_weights(tmp_path / 'experiments' / 'run' / 'models')
    (tmp_path / 'experiments' / 'run' / 'run.yml').write_text('network_g: ' + str(LIGHTNING_NET).replace("'", ''))
    message = refusal(weights)
    assert f"came from network_g of {tmp_path / 'experiments' / 'run' / 'run.yml'}, the option file beside" in message


def test_an_unreadable_file_gets_no_architecture_hint(tmp_path):
    (tmp_path / 'broken.pth').write_bytes(b'PK\x03\x04 not a checkpoint')
    for message in (refusal(str(tmp_path / 'broken.pth')), refusal(str(tmp_path / 'broken.pth'), dict(LIGHTNING_NET))):
        assert 'cannot be read as a weights-only checkpoint' in message
        assert 'architecture' not in message and 'strict_load_g' not in message


def test_a_strict_refusal_adds_the_callers_hint_only(tmp_path):
    bigger = build_network(dict(LIGHTNING_NET, dim=8))
    with pytest.raises(ValueError) as error:
        load_weights(bigger, LIGHTNING)
    assert 'does not match the network' in str(error.value) and 'strict_load_g' not in str(error.value)
    with pytest.raises(ValueError, match=r'does not match the network(.|\n)*\nUse the other one\.$'):
        load_weights(bigger, LIGHTNING, hint='Use the other one.')
    with pytest.raises(ValueError, match=r'does not match the network(.|\n)*\nUse the other one\.$'):
        convert_checkpoint(LIGHTNING, str(tmp_path / 'x.pth'), bigger, hint='Use the other one.')


def test_a_basicsr_option_file_run_is_told_about_strict_load_g():
    """Inside BasicSR's loop the option file is the user's own: there the hint is the option key."""
    from types import SimpleNamespace
    from basicsr_unlearn.compat.checkpoints import load_pretrained_network
    model = SimpleNamespace(get_bare_model=lambda net: net)
    with pytest.raises(ValueError, match=r'does not match the network(.|\n)*strict_load_g: false'):
        load_pretrained_network(model, build_network(dict(LIGHTNING_NET, dim=8)), LIGHTNING)
