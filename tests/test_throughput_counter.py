"""benchmarks/throughput.py counts a convolution's backward at twice its forward, groups included."""
import importlib.util
import os

import torch
import torch.nn as nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def throughput_script():
    spec = importlib.util.spec_from_file_location('throughput', os.path.join(REPO, 'benchmarks', 'throughput.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def counted_flops(counter_class, conv, x):
    with counter_class() as counter:
        conv(x).sum().backward()
    return counter.get_total_flops()


def test_depthwise_backward_is_counted_at_twice_the_forward():
    script = throughput_script()
    channels, size = 16, 8
    depthwise = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False)
    x = torch.rand(2, channels, size, size, requires_grad=True)
    forward = 2 * 2 * channels * 9 * size * size  # batch x channels x kernel taps x pixels, a multiply-add each
    assert counted_flops(script.StepFlopCounter, depthwise, x) == 3 * forward
    # torch's own formula counts the weight gradient of a depthwise convolution ``channels`` times over
    torch_counted = counted_flops(lambda: torch.utils.flop_counter.FlopCounterMode(display=False), depthwise, x)
    assert torch_counted > 3 * forward


def test_pgd_input_gradients_are_counted():
    script = throughput_script()
    conv = nn.Conv2d(3, 3, 3, padding=1)
    x = torch.rand(1, 3, 8, 8, requires_grad=True)
    with script.StepFlopCounter() as counter:
        grad, = torch.autograd.grad(conv(x).sum(), x)  # what FlopCounterMode's module tracker fails on
    assert counter.get_total_flops() > 0 and grad.shape == x.shape
