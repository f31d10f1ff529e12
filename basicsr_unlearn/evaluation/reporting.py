"""Evaluate, write the report, print the verdict: the one path ``demo``, ``evaluate`` and ``benchmark`` share."""
from ..tasks import task_split
from .acceptance import format_checks
from .relearn_audit import check_audit_data, relearn_audit
from .report_writer import check_report_folder, format_table, write_report
from .restoration_metrics import paired_sources
from .unlearning_report import build_report


def report_models(networks, forget, data_root, tasks, out, title, split='test', costs=None, weights=None,
                  audits=(), device='cpu'):
    """Evaluate ``networks`` ({label: net}, with 'original', and 'retrained' when there is one), write
    report.json/md/png
    into ``out`` (the figure shows one test image of the forgotten task and of two retained
    ones), print the table and each unlearned model's targets. ``audits``: 'relearn' adds the
    relearning audit (relearn_audit.py, relearn.png). The networks are on ``device``.
    Returns (report, report.md path)."""
    check_report_folder(out)  # before the evaluation's minutes, not after
    if 'relearn' in audits:
        check_audit_data(data_root, task_split(tasks, forget)[0])
    report = build_report(networks, forget, data_root, tasks, split=split, title=title, costs=costs, weights=weights,
                          device=device)
    if 'relearn' in audits:
        report['audits'] = {'relearn': relearn_audit(networks, data_root, forget, tasks, device=device)}
    forget_tasks, retain_tasks = task_split(tasks, forget)
    examples = paired_sources(data_root, forget_tasks[:1] + retain_tasks[:2], split)
    path = write_report(report, out, networks, examples)
    print(format_table(report))
    for label, checks in report['checks'].items():
        print(f'\nTargets for {label}: forget like the retrained model, keep the rest like the original, '
              f'at a small cost\n{format_checks(checks)}')
    for label, checks in report['reference_free'].items():
        print(f'\nReference-free verdict for {label} (no retrained model needed): forgotten task no better than '
              f'its input, the rest like the original, training images like unseen ones\n{format_checks(checks)}')
    return report, path
