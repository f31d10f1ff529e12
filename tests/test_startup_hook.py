"""The start-up hook: free for programs that never import basicsr, plugin loaded for those that do."""
import os
import site
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # starts fresh interpreters


def python(code, **env):
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd='/',
                            env=dict(os.environ, **env), timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_hook_is_installed_in_site_packages():
    folders = site.getsitepackages() + [site.getusersitepackages()]
    assert any(os.path.isfile(os.path.join(f, 'basicsr_unlearn.pth')) for f in folders), \
        'basicsr_unlearn.pth is missing: install the package (pip install -e . or pip install .)'


def test_no_torch_at_interpreter_start():
    out = python('import sys; print(sorted(m for m in ("torch", "basicsr", "basicsr_unlearn", "numpy") '
                 'if m in sys.modules)); print(any(type(f).__name__ == "BasicsrImportWatcher" for f in sys.meta_path))')
    assert out.splitlines() == ['[]', 'True']


def test_importing_basicsr_registers_the_plugin():
    out = python('import basicsr\n'
                 'from basicsr.utils.registry import DATASET_REGISTRY, LOSS_REGISTRY, MODEL_REGISTRY\n'
                 'print(DATASET_REGISTRY.get("ForgetRetainPairedDataset").__name__, LOSS_REGISTRY.get("AscentLoss")'
                 '.__name__, MODEL_REGISTRY.get("AdversarialRetainModel").__name__)')
    assert out.splitlines()[-1] == 'ForgetRetainPairedDataset AscentLoss AdversarialRetainModel'


def test_removed_torchvision_module_is_aliased():
    out = python('import torchvision.transforms.functional_tensor as ft, torch\n'
                 'print(ft.rgb_to_grayscale(torch.ones(3, 2, 2)).shape)')
    assert out == 'torch.Size([1, 2, 2])'


def test_hook_can_be_switched_off():
    out = python('import sys, basicsr; print("basicsr_unlearn" in sys.modules)', BASICSR_UNLEARN_NO_HOOK='1')
    assert out.splitlines()[-1] == 'False'


def test_distutils_shim_when_python_has_none(monkeypatch):
    import importlib.util
    import basicsr_unlearn_startup as startup
    monkeypatch.setattr(startup, '_find_spec_elsewhere', lambda *args: None)  # as on Python 3.12 without setuptools
    spec = startup.BasicsrImportWatcher().find_spec('distutils.version')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    version = module.LooseVersion
    assert version('0.10.0') > version('0.9.1') and version('2.11.0+cu130') >= version('1.7')
    assert version('1.0') == version('1.0') and version('1.0') < version('1.0.1')
