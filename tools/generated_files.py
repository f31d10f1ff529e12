"""Compare generated files with the committed ones, or rewrite them (for tools/generate_docs_tables.py)."""
import argparse
import os
from os import path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def stale(files):
    """Paths (relative to the repository) of ``files`` ({absolute path: text}) whose committed text differs."""
    out = []
    for path, text in files.items():
        if not osp.isfile(path) or open(path, encoding='utf-8').read() != text:
            out.append(osp.relpath(path, REPO))
    return out


def main(description, generate):
    """``--check``: list what differs, exit 1 if anything does; otherwise rewrite what differs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--check', action='store_true', help='only list the files that differ; exit 1 if any')
    args = parser.parse_args()
    files = generate()
    differing = stale(files)
    if args.check:
        print('\n'.join(f'differs: {p}' for p in differing) or 'up to date')
        return 1 if differing else 0
    for relative in differing:
        path = osp.join(REPO, relative)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(files[path])
        print(f'wrote {relative}')
    return 0
