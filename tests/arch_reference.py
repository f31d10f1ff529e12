"""Reproducible weights and inputs for checking our architectures against the authors' code.

``tools/make_arch_reference.py`` runs the authors' PromptIR/AdaIR (a local checkout,
never part of this repository) with these weights and stores their key shapes and
sampled outputs in ``tests/data``; ``tests/test_archs.py`` runs ours on the same.
"""
import math
import zlib

import torch

CASES = {
    'promptir_default': dict(arch='PromptIR', kwargs=dict(), input_shape=(1, 3, 64, 64)),
    'adair_default': dict(arch='AdaIR', kwargs=dict(), input_shape=(1, 3, 64, 64)),
    # small enough for 768 x 768: only from 256-pixel features on is AdaIR's low-frequency box not empty
    'adair_small_768': dict(arch='AdaIR', kwargs=dict(dim=8, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1,
                                                      heads=[1, 1, 2, 2]), input_shape=(1, 3, 768, 768)),
}
SAMPLES = 4096


def deterministic_state_dict(template, seed=0):
    """Values that depend only on each key's name and shape, so two implementations get the same."""
    state = {}
    for key in sorted(template):
        shape = tuple(template[key].shape)
        g = torch.Generator().manual_seed(seed + zlib.crc32(key.encode()))
        name = key.rsplit('.', 1)[-1]
        if name == 'prompt_param':
            value = torch.rand(shape, generator=g)
        elif name in ('temperature', 'para2') or ('norm' in key and name == 'weight'):
            value = 1 + 0.1 * torch.randn(shape, generator=g)
        elif len(shape) >= 2:
            value = torch.randn(shape, generator=g) / math.sqrt(math.prod(shape[1:]))
        else:
            value = 0.1 * torch.randn(shape, generator=g)
        state[key] = value
    return state


def reference_input(shape, seed=1):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def sample_output(output, seed=2):
    """Fixed random positions of the output, plus whole-output sums."""
    flat = output.detach().flatten()
    index = torch.randperm(flat.numel(), generator=torch.Generator().manual_seed(seed))[:SAMPLES].clone()
    return dict(sample_index=index, sample_values=flat[index].clone(), sum=flat.double().sum().item(),
                abs_sum=flat.double().abs().sum().item())
