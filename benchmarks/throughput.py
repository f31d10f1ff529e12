"""How much of this machine's arithmetic a training step and an evaluated image use.

One run measures, with the threads torch uses here:

- the peak: GFLOP/s of a large fp32 matrix product (2 n^3 FLOPs), best of a few;
- one training step (feed_data + optimize_parameters: forward, backward, update) of SRModel
  and of every method of basicsr_unlearn/runs/methods.yml on the shipped rain recipe, with
  the shipped batch (8 forget + 8 retain pairs of 48 x 48; SRModel trains on the 8 retain
  pairs), for the tiny PromptIR and a tiny AdaIR of the same width;
- one evaluated image (eval mode, no_grad, batch 1), a 128 x 128 crop and a 481 x 321 image
  (CBSD68's size), for the tiny and the published networks;

and each as GFLOP/s and as a fraction of the peak. FLOPs are those torch.utils.flop_counter
counts: convolutions and matrix products (attention's included), forward and backward. It
does not count elementwise ops, normalisation, softmax, interpolation, AdaIR's FFTs or the
optimizer's update, so the GFLOP/s here are of the counted work only.

    python benchmarks/throughput.py            # writes benchmarks/results/throughput.json
    python benchmarks/throughput.py --quick    # 1 repeat, no full-size image for the published networks
"""
import argparse
import logging
import math
import statistics
import sys
import tempfile
import time
from os import path as osp

import torch
from torch.utils.flop_counter import FlopCounterMode

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr.archs import build_network
from basicsr.models import build_model
from basicsr.utils import get_root_logger
from basicsr_unlearn.runs.compose import compose_option, methods
from basicsr_unlearn.utils.files import machine, write_json_atomic

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_JSON = osp.join(REPO, 'benchmarks', 'results', 'throughput.json')
TASK = 'rain'  # every method edits the train block of options/unlearn_rain.yml
# the tiny AdaIR: the tiny PromptIR's width and depths (0.64 M parameters against 0.95 M)
TINY_ADAIR = dict(type='AdaIR', dim=12, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 1, 2, 2])
PUBLISHED = {'published PromptIR': dict(type='PromptIR'), 'published AdaIR': dict(type='AdaIR')}
SKIPPED = ('paper',)  # ours with PGD and without distillation: the PGD row below shows what PGD costs
NOTES = {'ours': 'ours: the rain recipe, PGD off', 'scrub': 'max + min step, the first half of a run',
         'salun': 'masked step'}
IMAGES = {'128x128': (128, 128), '481x321': (321, 481)}
PAIRS, CROP = 8, 48  # a training batch of the shipped recipes
BATCH_NOTE = f'{PAIRS} forget + {PAIRS} retain pairs of {CROP}x{CROP} (SRModel: the {PAIRS} retain pairs)'


def conv_backward_flops(grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation, transposed,
                        _output_padding, _groups, output_mask, **kwargs):
    """A convolution's input gradient and weight gradient each cost its forward's multiply-adds.
    torch's own formula leaves ``groups`` out of the weight gradient, which counts a depthwise
    convolution of C channels C times over (the tiny PromptIR's backward about 10 times)."""
    forward = 2 * x_shape[0] * math.prod(w_shape) * math.prod((x_shape if transposed else grad_out_shape)[2:])
    return forward * (bool(output_mask[0]) + bool(output_mask[1]))


class _Global:
    """Stands in for FlopCounterMode's per-module tracker, whose backward hooks fail under
    ``torch.autograd.grad`` (PGD's attack): every FLOP goes to the total."""
    parents = ('Global',)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


class StepFlopCounter(FlopCounterMode):
    """``FlopCounterMode(display=False)`` with the depthwise backward counted right, and no per-module counts."""

    def __init__(self):
        super().__init__(display=False, custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flops})
        self.mod_tracker = _Global()


def shipped_batch(pairs=PAIRS, crop=CROP):
    """A seeded training batch, by default of the shipped recipes' size (``BATCH_NOTE``)."""
    torch.manual_seed(0)
    batch = {}
    for part in ('forget', 'retain'):
        gt = torch.rand(pairs, 3, crop, crop)
        batch.update({f'gt_{part}': gt, f'lq_{part}': (gt + 0.1 * torch.randn_like(gt)).clamp(0, 1)})
    return batch


def sig(x, digits=4):
    """``x`` rounded to ``digits`` significant digits (for the json)."""
    return float(f'{x:.{digits}g}')


def median_seconds(run, repeats):
    """Median wall time of ``repeats`` calls of ``run``: robust to a step slowed by another process."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_gflops(n, warmup, repeats):
    """Best and mean GFLOP/s of an n x n fp32 matrix product."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(warmup):
        torch.mm(a, b)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    flops = 2 * n ** 3
    return flops / min(times) / 1e9, flops * repeats / sum(times) / 1e9


def variants(network, weights):
    """[(method, option dict, batch kind, note)]: SRModel, every method of methods.yml, and ours with PGD."""
    def option(method, **overrides):
        opt = compose_option(TASK, method, original=weights, overrides=overrides)
        opt.update(network_g=dict(network), num_gpu=0, is_train=True, dist=False, rank=0, world_size=1)
        opt['path'].update(models='.', training_states='.')
        return opt

    out = [('SRModel', dict(option('ours'), model_type='SRModel'), 'retain', f'the {PAIRS} retain pairs')]
    for method in methods():
        if method in SKIPPED:
            continue
        # SalUn's saliency batches (no update) are spent in the warm-up, so that the timed steps are masked updates
        overrides = {'train:salun_opt:saliency_batches': 1} if method == 'salun' else {}
        out.append((method, option(method, **overrides), 'unlearn', NOTES.get(method, '')))
        if method == 'ours':
            out.append(('ours + PGD', option(method, **{'train:adversarial_opt:loss_weight': 0.5}), 'unlearn',
                        'ours + PGD, 1 step'))
    return out


def train_rows(name, network, batch, warmup, repeats, folder):
    """One row per model: FLOPs of one step (counted after the warm-up steps) and the median time of the next ones.
    Steps start at iteration 1: SCRUB's steps are then max + min steps (its first half)."""
    torch.manual_seed(0)
    net = build_network(dict(network))
    weights = osp.join(folder, f'{name.replace(" ", "_")}.pth')
    torch.save({'params': net.state_dict()}, weights)  # start and original network of every model
    params = sum(p.numel() for p in net.parameters())
    rows = []
    for method, opt, kind, note in variants(network, weights):
        model = build_model(opt)
        data = batch if kind == 'unlearn' else {'lq': batch['lq_retain'], 'gt': batch['gt_retain']}
        for i in range(warmup):
            model.feed_data(data)
            model.optimize_parameters(1 + i)
        with StepFlopCounter() as counter:
            model.feed_data(data)
            model.optimize_parameters(1 + warmup)
        iters = iter(range(2 + warmup, 2 + warmup + repeats))

        def step():
            model.feed_data(data)
            model.optimize_parameters(next(iters))
        seconds = median_seconds(step, repeats)
        rows.append(dict(network=name, params=params, method=method, model=opt['model_type'], note=note,
                         flops=counter.get_total_flops(), seconds=seconds))
        print(f'  {name}, {method}: {rows[-1]["flops"] / 1e9:.2f} GFLOP, {seconds:.3f} s/step', flush=True)
    return rows


@torch.no_grad()
def eval_row(name, network, image, size, repeats):
    """FLOPs of one image (counted on a first pass, which also warms up) and the median time of ``repeats`` more."""
    torch.manual_seed(0)
    net = build_network(dict(network)).eval()
    x = torch.rand(1, 3, *size)
    with StepFlopCounter() as counter:
        net(x)
    seconds = median_seconds(lambda: net(x), repeats)
    print(f'  {name}, {image}: {counter.get_total_flops() / 1e9:.2f} GFLOP, {seconds:.3f} s/image', flush=True)
    return dict(network=name, params=sum(p.numel() for p in net.parameters()), image=image,
                flops=counter.get_total_flops(), seconds=seconds, repeats=repeats)


def with_rates(row, peak):
    """Rounded copy of a row with its GFLOP/s and fraction of the peak."""
    gflops = row['flops'] / row['seconds'] / 1e9
    rounded = dict(row, gflop=sig(row['flops'] / 1e9), seconds=sig(row['seconds']), gflops=sig(gflops),
                   peak_fraction=sig(gflops / peak, 3))
    del rounded['flops']
    return rounded


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='1 repeat everywhere, no full-size published image')
    parser.add_argument('--json', help=f'write the results here (default: {osp.relpath(DEFAULT_JSON, REPO)}; '
                                       'none with --quick)')
    args = parser.parse_args()
    started = time.perf_counter()
    get_root_logger().setLevel(logging.ERROR)  # not BasicSR's warnings about the frozen weights of every model built
    json_path = args.json or (None if args.quick else DEFAULT_JSON)
    settings = dict(matmul_n=2048, matmul_warmup=2, matmul_repeats=3 if args.quick else 10,
                    train_warmup=1 if args.quick else 2, train_repeats=1 if args.quick else 5,
                    eval_repeats_tiny=1 if args.quick else 10, eval_repeats_published=1 if args.quick else 2)
    peak, peak_mean = peak_gflops(settings['matmul_n'], settings['matmul_warmup'], settings['matmul_repeats'])
    print(f'peak: {peak:.1f} GFLOP/s ({torch.get_num_threads()} threads)', flush=True)

    batch = shipped_batch()
    tiny = {'tiny PromptIR': compose_option(TASK)['network_g'], 'tiny AdaIR': TINY_ADAIR}
    train = []
    with tempfile.TemporaryDirectory() as folder:
        for name, network in tiny.items():
            train += train_rows(name, network, batch, settings['train_warmup'], settings['train_repeats'], folder)
    evaluated = []
    for name, network in list(tiny.items()) + list(PUBLISHED.items()):
        repeats = settings['eval_repeats_published' if name in PUBLISHED else 'eval_repeats_tiny']
        for image, shape in IMAGES.items():
            if args.quick and name in PUBLISHED and image != '128x128':
                continue
            evaluated.append(eval_row(name, network, image, shape, repeats))

    rows_train = [with_rates(r, peak) for r in train]
    rows_eval = [dict(with_rates(r, peak), images_per_s=sig(1 / r['seconds'])) for r in evaluated]
    result = dict(
        command='python benchmarks/throughput.py' + (' --quick' if args.quick else ''), machine=machine(),
        counted="convolutions and matrix products, forward and backward (torch.utils.flop_counter, with a "
                "convolution's input and weight gradients each at its forward's cost, groups included); not "
                "elementwise ops, normalisation, softmax, interpolation, FFTs or the optimizer update",
        peak=dict(what=f"fp32 {settings['matmul_n']}x{settings['matmul_n']} matrix product, best of "
                       f"{settings['matmul_repeats']}", gflops=sig(peak), mean_gflops=sig(peak_mean)),
        train_batch=BATCH_NOTE,
        networks={name: dict(network) for name, network in list(tiny.items()) + list(PUBLISHED.items())},
        settings=settings, train=rows_train, eval=rows_eval, wall_s=round(time.perf_counter() - started, 1))
    print(f"done in {result['wall_s']:.0f} s")
    if json_path:
        write_json_atomic(result, json_path)
        print(f'wrote {json_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
