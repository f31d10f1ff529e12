"""The tiny models shipped with the package: an all-in-one PromptIR and its three
retain-only references, trained on the mini benchmark with ``options/train/promptir_tiny_*.yml``.

``manifest.json`` records for each: recipe, seed, data hash, steps, wall time, the
architecture (``network_g``) and per-task PSNR/SSIM on the mini benchmark's test split.
``basicsr-unlearn zoo-train`` reproduces them; ``basicsr-unlearn zoo-check`` re-evaluates
the shipped files against the manifest (``basicsr_unlearn.runs.zoo_training``).
"""
import json
from os import path as osp

from ..tasks import FORGETTABLE
from ..utils.errors import UserError

ZOO_DIR = osp.dirname(osp.abspath(__file__))
MANIFEST = osp.join(ZOO_DIR, 'manifest.json')
ORIGINAL = 'allinone'
#: zoo name -> (recipe name in options/train, task group it never saw)
MODELS = {
    ORIGINAL: ('promptir_tiny_allinone', None),
    'no_noise': ('promptir_tiny_no_noise', 'noise'),
    'no_rain': ('promptir_tiny_no_rain', 'rain'),
    'no_haze': ('promptir_tiny_no_haze', 'haze'),
}


def load_manifest(path=MANIFEST):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def zoo_weights(name):
    """Path of a shipped model's BasicSR ``params`` file."""
    if name not in MODELS:
        raise UserError(f'unknown zoo model {name!r}; expected one of {sorted(MODELS)}.')
    return osp.join(ZOO_DIR, f'{MODELS[name][0]}.pth')


def zoo_network_opt(name=ORIGINAL):
    """``network_g`` of a shipped model, as recorded in the manifest when it was trained."""
    return dict(load_manifest()['models'][name]['network_g'])


def retrained_for(group):
    """Zoo name of the model trained without ``group`` (noise, rain or haze)."""
    for name, (_, without) in MODELS.items():
        if without == group:
            return name
    raise UserError(f'no retain-only model for {group!r}; expected one of {list(FORGETTABLE)}.')


def training_cost(name):
    """(wall seconds, steps) of training a shipped model, from the manifest."""
    entry = load_manifest()['models'][name]
    return entry['wall_time_s'], entry['steps']
