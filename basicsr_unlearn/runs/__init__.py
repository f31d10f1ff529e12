"""Orchestration: compose an option file, run BasicSR's train loop, evaluate, report.

The commands (``basicsr_unlearn.cli``) call into here; nothing below (evaluation, zoo,
export, prepare, data, ...) imports this package.
"""
