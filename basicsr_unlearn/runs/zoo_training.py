"""Train the shipped tiny models (of either benchmark) from their recipes, and check the shipped files."""
import json
import os
from collections import OrderedDict
from os import path as osp

from ..evaluation.networks import network_from_weights
from ..evaluation.restoration_metrics import evaluate_network, paired_sources
from ..prepare.benchmark_root import open_benchmark
from ..tasks import BENCHMARK_ROOTS, MINI_ROOT, TASKS
from ..utils import ExistingFileError, UserError
from ..utils.checkpoint import read_state_dict
from ..utils.files import machine, torch_save_atomic, write_json_atomic
from ..utils.hashing import sha256_file
from ..utils.options import options_dir, rebase_dataroots, shipped_option, shipped_recipe
from ..zoo import load_manifest, recipe_name, zoo_benchmark, zoo_dir, zoo_models
from .chunked_training import train_in_chunks


def half_precision_params(src, dst):
    """Ship weights as float16 (half the size); they load into float32 networks unchanged in shape."""
    state, _ = read_state_dict(src)
    torch_save_atomic({'params': {k: v.half() if v.is_floating_point() else v for k, v in state.items()}}, dst)


def start_manifest(out_dir, stamp):
    """The manifest of an earlier sitting in ``out_dir`` (its finished models are kept), or a new one."""
    benchmark = OrderedDict(name=stamp['name'], version=stamp['version'], seed=stamp['seed'],
                            file_hash=stamp['file_hash'])
    path = osp.join(out_dir, 'manifest.json')
    if not osp.exists(path):
        return OrderedDict(benchmark=benchmark, models=OrderedDict())
    with open(path, encoding='utf-8') as f:
        manifest = json.load(f, object_pairs_hook=OrderedDict)
    if not isinstance(manifest, dict) or manifest.get('benchmark') != benchmark:
        raise UserError(f'{path} is not a zoo manifest of this benchmark ({stamp["name"]}, file hash '
                        f'{stamp["file_hash"][:12]}); choose an empty --out.')
    return manifest


def zoo_of(stamp, zoo):
    """The zoo to train or check on the benchmark stamped ``stamp``: ``zoo``, else the benchmark's own."""
    zoo = zoo or stamp['name']
    if zoo_benchmark(zoo) != stamp['name']:
        raise UserError(f'--zoo {zoo} was trained on {zoo_benchmark(zoo)}, but --data holds {stamp["name"]}.')
    return zoo


def train_zoo(out_dir, data_root=MINI_ROOT, names=None, chunk_iters=None, max_chunks=None, zoo=None):
    """Train the models of ``zoo`` (default: the own zoo of the benchmark at ``data_root``, mini or
    real mini) into ``out_dir`` (weights + manifest.json), ``chunk_iters`` iterations per BasicSR
    run (default: a whole model).

    Training that outlasts a sitting (``max_chunks``, or a stop) continues with the same call:
    models already in the manifest are kept, the one in training resumes from its last saved
    state, and the manifest records iterations and wall time summed over the sittings. Never
    writes over a file it did not make."""
    stamp = open_benchmark(data_root, quiet=False)
    benchmark = zoo_of(stamp, zoo)
    names = names or list(zoo_models(benchmark))
    unknown = [name for name in names if name not in zoo_models(benchmark)]
    if unknown:
        raise UserError(f'--models {unknown}: not in the {benchmark} zoo; expected some of '
                        f'{list(zoo_models(benchmark))}.')
    os.makedirs(out_dir, exist_ok=True)
    manifest = start_manifest(out_dir, stamp)
    for name in names:
        if name in manifest['models']:
            print(f'{name}: trained in an earlier sitting ({manifest["models"][name]["file"]})')
            continue
        recipe = recipe_name(name, benchmark)
        dst = osp.join(out_dir, f'{recipe}.pth')
        if osp.exists(dst):
            raise ExistingFileError(f'{dst} exists and is not in {out_dir}/manifest.json; not overwriting it '
                                    '(choose an empty --out).')
        recipe_file = shipped_recipe('train', recipe)
        opt = rebase_dataroots(shipped_option(recipe_file), osp.abspath(data_root),
                               BENCHMARK_ROOTS[stamp['name']])
        total = opt['train']['total_iter']
        ledger = train_in_chunks(opt, osp.join(out_dir, 'work'), chunk_iters or total, max_chunks)
        if ledger['done'] < total:
            print(f"{name}: {ledger['done']} of {total} iterations ({ledger['wall_time_s'] / 60:.1f} min so far); "
                  'run the same command to continue')
            return manifest
        half_precision_params(ledger['weights'], dst)
        net, _ = network_from_weights(dst, opt['network_g'])
        scores = evaluate_network(net, paired_sources(data_root, TASKS, 'test'))
        manifest['models'][name] = OrderedDict(
            file=osp.basename(dst), sha256=sha256_file(dst), recipe=f'options/{recipe_file}',
            recipe_sha256=sha256_file(osp.join(options_dir(), recipe_file)), never_saw=zoo_models(benchmark)[name],
            seed=opt['manual_seed'], steps=ledger['done'], wall_time_s=ledger['wall_time_s'],
            chunks=len(ledger['chunks']), params=sum(p.numel() for p in net.parameters()),
            network_g=dict(opt['network_g']), machine=machine(), test=scores)
        write_json_atomic(manifest, osp.join(out_dir, 'manifest.json'))
        print(f"{name}: {ledger['wall_time_s'] / 60:.1f} min, " +
              ', '.join(f'{t} {s["psnr"]:.2f}' for t, s in scores.items()))
    return manifest


#: how far a shipped model's re-measured PSNR may lie from its manifest's (dB): other machines' float rounding
ZOO_TOLERANCE_DB = 0.05


def check_zoo(data_root=MINI_ROOT, tolerance=None, zoo=None):
    """Re-evaluate the shipped models of ``zoo`` (default: the own zoo of the benchmark at
    ``data_root``) on its test split (afresh, never from the score cache); returns (ok, the
    comparison with the manifest as printed lines)."""
    tolerance = ZOO_TOLERANCE_DB if tolerance is None else tolerance
    stamp = open_benchmark(data_root)
    zoo = zoo_of(stamp, zoo)
    manifest = load_manifest(zoo)
    if stamp['file_hash'] != manifest['benchmark']['file_hash']:
        raise UserError(f'{data_root} is not the benchmark the manifest was made on (file hash '
                        f'{stamp["file_hash"][:12]} vs {manifest["benchmark"]["file_hash"][:12]}).')
    ok, rows = True, []
    for name, entry in manifest['models'].items():
        weights = osp.join(zoo_dir(zoo), entry['file'])
        ok &= sha256_file(weights) == entry['sha256']
        net, _ = network_from_weights(weights, entry['network_g'])
        scores = evaluate_network(net, paired_sources(data_root, TASKS, 'test'), cache=False)  # a check
        for task, score in scores.items():
            recorded = entry['test'][task]['psnr']
            good = abs(score['psnr'] - recorded) <= tolerance
            ok &= good
            rows.append((name, task, recorded, score['psnr'], good))
    lines = [f'{"model":<10} {"task":<8} {"manifest":>9} {"now":>9}']
    lines += [f'{name:<10} {task:<8} {recorded:9.3f} {now:9.3f}{"" if good else "  <-- differs"}'
              for name, task, recorded, now, good in rows]
    lines.append('zoo check: ' + ('OK' if ok else f'FAILED (tolerance {tolerance} dB)'))
    return bool(ok), '\n'.join(lines)
