"""PromptIR and AdaIR: the authors' key names and shapes, their outputs for the same weights,
frozen unused parameters, tiny configurations, and checkpoint loading."""
import pytest
import torch

from arch_reference import CASES, deterministic_state_dict, reference_input
from conftest import DATA
from basicsr.archs import build_network

REFERENCES = {case: torch.load(DATA / f'{case}.pt', weights_only=True) for case in CASES}


@pytest.mark.parametrize('case', sorted(CASES))
def test_same_keys_shapes_and_outputs_as_the_authors_code(case):
    spec, reference = CASES[case], REFERENCES[case]
    net = build_network(dict(type=spec['arch'], **spec['kwargs'])).eval()
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == reference['shapes']
    net.load_state_dict(deterministic_state_dict(net.state_dict()), strict=True)
    with torch.no_grad():
        output = net(reference_input(spec['input_shape']))
    # float32 rounding only: our layer norm sums in another order than the authors' (each is within 1e-6 of
    # float64, test_channel_layer_norm_is_the_textbook_one), which the deep random-weight AdaIR at 768 px
    # amplifies to 2e-4 at most on outputs of magnitude ~1.5 (0.05 of a grey level)
    assert torch.allclose(output.flatten()[reference['sample_index']], reference['sample_values'], atol=5e-4)
    assert output.double().sum().item() == pytest.approx(reference['sum'], rel=1e-5)
    assert output.double().abs().sum().item() == pytest.approx(reference['abs_sum'], rel=1e-5)


@pytest.mark.parametrize('norm_type', ['WithBias', 'BiasFree'])
def test_channel_layer_norm_is_the_textbook_one(norm_type):
    """Normalised over the channels of each pixel, in float32 within 1e-6 of the float64 formula."""
    from basicsr_unlearn.archs.restormer_blocks import ChannelLayerNorm
    norm = ChannelLayerNorm(24, norm_type)
    torch.nn.init.uniform_(norm.body.weight)
    if norm_type == 'WithBias':
        torch.nn.init.uniform_(norm.body.bias)
    x = torch.randn(2, 24, 16, 16, generator=torch.Generator().manual_seed(0)) * 3 + 1
    xd, weight = x.double(), norm.body.weight.double().view(1, -1, 1, 1)
    var = xd.var(1, keepdim=True, unbiased=False)
    centred = xd - xd.mean(1, keepdim=True) if norm_type == 'WithBias' else xd
    expected = centred / torch.sqrt(var + 1e-5) * weight
    if norm_type == 'WithBias':
        expected = expected + norm.body.bias.double().view(1, -1, 1, 1)
    assert (norm(x).double() - expected).abs().max() < 1e-6


def test_adair_reference_exercises_the_low_frequency_box(monkeypatch):
    from basicsr_unlearn.archs import adair_arch
    sizes = []
    original = adair_arch.centre_box_mask
    monkeypatch.setattr(adair_arch, 'centre_box_mask', lambda h, w, a, b: sizes.append(int(a.max())) or
                        original(h, w, a, b))
    spec = CASES['adair_small_768']
    net = build_network(dict(type='AdaIR', **spec['kwargs'])).eval()
    net.load_state_dict(deterministic_state_dict(net.state_dict()))
    with torch.no_grad():
        net(reference_input(spec['input_shape']))
    assert max(sizes) > 0


TINY_DIM = {'PromptIR': 12, 'AdaIR': 8}


@pytest.mark.parametrize('arch', ['PromptIR', 'AdaIR'])
def test_unused_checkpoint_parameters_are_frozen_and_the_rest_trains(arch):
    net = build_network(dict(type=arch, dim=TINY_DIM[arch], num_blocks=[1, 1, 1, 1], num_refinement_blocks=1,
                             heads=[1, 1, 2, 2]))
    frozen = {k for k, p in net.named_parameters() if not p.requires_grad}
    assert frozen  # e.g. PromptIR's chnl_reduce*, AdaIR's rate_conv
    net(torch.rand(2, 3, 32, 32)).abs().mean().backward()
    no_grad = {k for k, p in net.named_parameters() if p.requires_grad and p.grad is None}
    assert not no_grad, f'trainable parameters without gradient: {sorted(no_grad)[:5]}'


@pytest.mark.parametrize('arch', ['PromptIR', 'AdaIR'])
def test_tiny_configuration_any_size_and_grey(arch):
    net = build_network(dict(type=arch, inp_channels=1, out_channels=1, dim=TINY_DIM[arch], num_blocks=[1, 1, 1, 1],
                             num_refinement_blocks=1, heads=[1, 1, 2, 2]))
    assert net(torch.rand(1, 1, 24, 40)).shape == (1, 1, 24, 40)
    assert net(torch.rand(1, 1, 21, 37)).shape == (1, 1, 21, 37)  # padded to 24x40 inside, cropped back (Rain100L
    # is 481x321)


def test_promptir_without_prompts_runs():
    net = build_network(dict(type='PromptIR', dim=12, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1,
                             heads=[1, 1, 2, 2], decoder=False))
    assert net(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match='multiple of 3'):
        build_network(dict(type='PromptIR', dim=8, heads=[1, 1, 2, 2]))
