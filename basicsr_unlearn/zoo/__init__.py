"""The tiny models shipped with the package: an all-in-one model and its retain-only references,
one zoo per benchmark and architecture (the mini zoo adds the references of its deletion and
joint requests: ``no_rain20``, ``no_rain_haze``):

- ``mini_allinone`` (this folder): PromptIR, trained on the embedded mini benchmark with
  ``options/train/PromptIR/promptir_tiny_*.yml``;
- ``real_mini`` (``real_mini/``): PromptIR, trained on the real mini protocol
  (``prepare-real --preset allinone-mini``) with ``options/train/PromptIR/promptir_tiny_real_*.yml``;
- ``real_mini_adair`` (``real_mini_adair/``): AdaIR on the real mini protocol, with
  ``options/train/AdaIR/adair_tiny_real_*.yml``; no ``no_rain``: real rain is not learnt at a
  CPU-trainable size (docs/RealData.md), so there is nothing to forget.

A benchmark's own zoo carries its name; ``zoo:<zoo>/<model>`` names a shipped file.

Each ``manifest.json`` records for each model: recipe, seed, data hash, steps, wall time,
the architecture (``network_g``) and per-task PSNR/SSIM on its benchmark's test split.
``basicsr-unlearn zoo-train`` reproduces them; ``basicsr-unlearn zoo-check`` re-evaluates
the shipped files against the manifest (``basicsr_unlearn.runs.zoo_training``).
"""
import json
from os import path as osp

from ..tasks import BENCHMARK_ROOTS, DELETIONS, JOINT_REQUESTS, MINI_BENCHMARK, REAL_BENCHMARK
from ..utils.errors import UserError

ZOO_DIR = osp.dirname(osp.abspath(__file__))
ORIGINAL = 'allinone'
#: zoo name -> task group it never saw
MODELS = {ORIGINAL: None, 'no_noise': 'noise', 'no_rain': 'rain', 'no_haze': 'haze'}
DEFAULT_BENCHMARK = MINI_BENCHMARK
#: benchmark -> its retrained references of deletion requests (zoo name -> request of ``tasks.DELETIONS``)
DELETION_MODELS = {DEFAULT_BENCHMARK: {f'no_{request}': request for request in DELETIONS}}
#: benchmark -> its retrained references of joint requests (zoo name -> request of ``tasks.JOINT_REQUESTS``)
JOINT_MODELS = {DEFAULT_BENCHMARK: {f'no_{request}': request for request in JOINT_REQUESTS}}
REAL_ADAIR_ZOO = f'{REAL_BENCHMARK}_adair'
#: zoo -> (benchmark it was trained on, its folder, prefix of its recipes in options/train, models it lacks)
ZOOS = {MINI_BENCHMARK: (MINI_BENCHMARK, ZOO_DIR, 'promptir_tiny', ()),
        REAL_BENCHMARK: (REAL_BENCHMARK, osp.join(ZOO_DIR, REAL_BENCHMARK), 'promptir_tiny_real', ()),
        REAL_ADAIR_ZOO: (REAL_BENCHMARK, osp.join(ZOO_DIR, REAL_ADAIR_ZOO), 'adair_tiny_real', ('no_rain',))}
assert set(BENCHMARK_ROOTS) <= set(ZOOS)


def zoo_models(benchmark=DEFAULT_BENCHMARK):
    """{model: what it never saw (a task group, a joint or a deletion request, or None)} of a zoo
    (``benchmark``: a zoo's name; a benchmark's own zoo carries the benchmark's)."""
    models = dict(MODELS, **DELETION_MODELS.get(benchmark, {}), **JOINT_MODELS.get(benchmark, {}))
    lacks = ZOOS[benchmark][3] if benchmark in ZOOS else ()
    return {name: never_saw for name, never_saw in models.items() if name not in lacks}


def zoo_benchmark(zoo):
    """The benchmark a zoo was trained on."""
    _check(ORIGINAL, zoo)
    return ZOOS[zoo][0]


def _check(name, benchmark):
    if benchmark not in ZOOS:
        raise UserError(f'no shipped zoo {benchmark!r}; expected one of {sorted(ZOOS)}.')
    if name not in zoo_models(benchmark):
        raise UserError(f'unknown zoo model {name!r} of {benchmark}; expected one of {sorted(zoo_models(benchmark))}.')


def recipe_name(name, benchmark=DEFAULT_BENCHMARK):
    """File stem of a shipped model's recipe in ``options/train`` (and of its weights)."""
    _check(name, benchmark)
    return f'{ZOOS[benchmark][2]}_{name}'


def zoo_dir(benchmark=DEFAULT_BENCHMARK):
    _check(ORIGINAL, benchmark)
    return ZOOS[benchmark][1]


def load_manifest(benchmark=DEFAULT_BENCHMARK):
    path = osp.join(zoo_dir(benchmark), 'manifest.json')
    if not osp.isfile(path):
        raise UserError(f'the {benchmark} zoo is not shipped with this install: {path} is missing.')
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def zoo_weights(name, benchmark=DEFAULT_BENCHMARK):
    """Path of a shipped model's BasicSR ``params`` file."""
    return osp.join(zoo_dir(benchmark), f'{recipe_name(name, benchmark)}.pth')


def zoo_network_opt(name=ORIGINAL, benchmark=DEFAULT_BENCHMARK):
    """``network_g`` of a shipped model, as recorded in the manifest when it was trained."""
    return dict(load_manifest(benchmark)['models'][name]['network_g'])


def retrained_for(group, benchmark=DEFAULT_BENCHMARK):
    """Zoo name of the model trained without ``group`` (noise, rain, haze, a joint or a deletion request)."""
    for name, without in zoo_models(benchmark).items():
        if without == group:
            return name
    raise UserError(f'no retrained model for {group!r} in the {benchmark} zoo; expected one of '
                    f'{[m for m in zoo_models(benchmark).values() if m]}.')


def training_cost(name, benchmark=DEFAULT_BENCHMARK):
    """(wall seconds, steps) of training a shipped model, from the manifest."""
    entry = load_manifest(benchmark)['models'][name]
    return entry['wall_time_s'], entry['steps']
