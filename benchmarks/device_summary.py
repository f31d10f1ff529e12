"""Read what benchmarks/device_check.sh left in its folder and write ``device_check.json`` there:
per unlearning run (architecture, processes), the step time BasicSR logged, the GPU memory
nvidia-smi saw, and the per-task test PSNR of the input, the original and the unlearned model.

    python benchmarks/device_summary.py benchmarks/results/device --steps 300 --weights random
"""
import argparse
import glob
import json
import re
import statistics
import sys
from os import path as osp

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from basicsr_unlearn.utils.files import machine, write_json_atomic  # noqa: E402

#: BasicSR's MessageLogger: "[epoch: 0, iter: 10, lr:(...)] [eta: ..., time (data): 0.512 (0.003)]"
LOGGED_STEP = re.compile(r'iter:\s*(\d+),.*time \(data\): ([\d.]+) \(([\d.]+)\)')
#: the plugin's launcher: "Distributed: backend nccl, world size 2."
DISTRIBUTED = re.compile(r'Distributed: (backend \w+, world size \d+)')


def step_seconds(log_text):
    """Median of the logged step times after the first logged one (which holds the warm-up)."""
    times = [float(m.group(2)) for m in LOGGED_STEP.finditer(log_text)][1:]
    return round(statistics.median(times), 4) if times else None


def peak_gpu_memory_mib(csv_path):
    """The largest memory.used any GPU showed while the run ran (CUDA contexts included)."""
    if not osp.isfile(csv_path):
        return None
    used = [float(line.split(',')[1]) for line in open(csv_path) if line.count(',') == 1]
    return max(used) if used else None


def psnr_table(report_path):
    """{task: {input, original, unlearned}} test PSNR from an evaluate report, or None."""
    if not osp.isfile(report_path):
        return None
    report = json.load(open(report_path))
    unlearned = next(label for label in report['models'] if label != 'original')
    return {task: dict(input=round(report['input_psnr'][task], 2),
                       original=round(report['models']['original']['tasks'][task]['psnr'], 2),
                       unlearned=round(report['models'][unlearned]['tasks'][task]['psnr'], 2))
            for task in report['tasks']}


def summarise(folder, steps, weights):
    runs = []
    for log_path in sorted(glob.glob(osp.join(folder, 'device_rain_*.log'))):
        name = osp.splitext(osp.basename(log_path))[0]
        run = re.fullmatch(r'device_rain_(\w+?)_x(\d+)', name)  # not the .evaluate.log beside it
        if run is None:
            continue
        arch, nproc = run.groups()
        log = open(log_path, errors='replace').read()
        runs.append(dict(name=name, arch=arch, processes=int(nproc), steps=steps,
                         finished='End of training' in log, distributed=next(iter(DISTRIBUTED.findall(log)), None),
                         seconds_per_step=step_seconds(log),
                         peak_gpu_memory_mib=peak_gpu_memory_mib(osp.join(folder, f'{name}.gpu_memory.csv')),
                         test_psnr=psnr_table(osp.join(folder, f'{name}.report', 'report.json'))))
    return dict(command='bash benchmarks/device_check.sh', machine=machine(), weights=weights,
                note=('random weights: step cost and memory are real; the PSNR columns judge nothing'
                      if weights == 'random' else 'the original is the converted published checkpoint'),
                runs=runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('folder')
    parser.add_argument('--steps', type=int, required=True)
    parser.add_argument('--weights', default='random', help='where the original weights came from')
    args = parser.parse_args()
    summary = summarise(args.folder, args.steps, args.weights)
    write_json_atomic(summary, osp.join(args.folder, 'device_check.json'))
    for run in summary['runs']:
        print(json.dumps({k: v for k, v in run.items() if k != 'test_psnr'}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
