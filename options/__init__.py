"""BasicSR option files of basicsr_unlearn.

This folder is also installed as ``basicsr_unlearn.options`` (see setup.py), so the
commands of an installed package find the same files a checkout has here.
"""
