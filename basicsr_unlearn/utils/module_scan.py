"""Auto-import of ``*_arch.py``/``*_dataset.py``/... modules, as BasicSR's subpackages do."""
import importlib
import os


def import_modules_with_suffix(package_name, package_file, suffix):
    """Import every module ``<package>/<name><suffix>`` so that its classes register themselves."""
    folder = os.path.dirname(os.path.abspath(package_file))
    names = sorted(os.path.splitext(f)[0] for f in os.listdir(folder) if f.endswith(suffix))
    return [importlib.import_module(f'{package_name}.{name}') for name in names]
