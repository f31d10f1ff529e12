"""Write tests/data/<case>.pt from the authors' PromptIR/AdaIR code (run by hand, not in CI).

    python tools/make_arch_reference.py --promptir PromptIR/net/model.py --adair AdaIR/net/model.py

The authors' files are imported from the given paths (they need einops); nothing of
them is stored, only state-dict key shapes and sampled outputs for fixed weights.
"""
import argparse
import importlib.util
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
from arch_reference import CASES, deterministic_state_dict, reference_input, sample_output  # noqa: E402


def import_file(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def git_commit(path):
    try:
        return subprocess.run(['git', '-C', os.path.dirname(os.path.abspath(path)), 'rev-parse', 'HEAD'],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return 'unknown'


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--promptir', required=True, help="the authors' PromptIR net/model.py")
    parser.add_argument('--adair', required=True, help="the authors' AdaIR net/model.py")
    parser.add_argument('--commit', action='append', default=[], help='NAME=SHA of the checkouts, for the record')
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'tests', 'data'))
    args = parser.parse_args()
    sources = {'PromptIR': args.promptir, 'AdaIR': args.adair}
    commits = dict(c.split('=', 1) for c in args.commit)
    for case, spec in CASES.items():
        module = import_file(sources[spec['arch']], f'authors_{spec["arch"].lower()}')
        net = getattr(module, spec['arch'])(decoder=True, **spec['kwargs']).eval()
        net.load_state_dict(deterministic_state_dict(net.state_dict()), strict=True)
        with torch.no_grad():
            output = net(reference_input(spec['input_shape']))
        record = dict(case=case, arch=spec['arch'], kwargs=spec['kwargs'], input_shape=spec['input_shape'],
                      shapes={k: list(v.shape) for k, v in net.state_dict().items()},
                      authors_commit=commits.get(spec['arch'], git_commit(sources[spec['arch']])),
                      **sample_output(output))
        path = os.path.join(args.out, f'{case}.pt')
        torch.save(record, path)
        print(f'{case}: {len(record["shapes"])} tensors, output sum {record["sum"]:.6f} -> {path}')


if __name__ == '__main__':
    main()
