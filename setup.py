"""Install basicsr_unlearn: the package, its start-up hook and its console command."""
import base64
import glob
import hashlib
import os
import zipfile

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

HOOK_PTH = 'basicsr_unlearn.pth'


class BuildPyWithHook(build_py):
    """Also put the start-up ``.pth`` at the root of the wheel, i.e. into site-packages."""

    def run(self):
        super().run()
        self.copy_file(HOOK_PTH, os.path.join(self.build_lib, HOOK_PTH), preserve_mode=0)

    def get_outputs(self, include_bytecode=1):
        return super().get_outputs(include_bytecode) + [os.path.join(self.build_lib, HOOK_PTH)]


class EditableWheelWithHook(editable_wheel):
    """``pip install -e .`` builds a PEP 660 wheel that ignores build_py's extra files:
    add the start-up ``.pth`` (and its RECORD line) to that wheel's root."""

    def run(self):
        super().run()
        wheels = glob.glob(os.path.join(self.dist_dir, 'basicsr_unlearn-*.whl'))
        if not wheels:
            raise RuntimeError(f'no editable wheel found in {self.dist_dir} to add {HOOK_PTH} to')
        add_file_to_wheel(max(wheels, key=os.path.getmtime), HOOK_PTH)


def add_file_to_wheel(wheel_path, file_path):
    with open(file_path, 'rb') as f:
        data = f.read()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
    with zipfile.ZipFile(wheel_path) as wheel:
        entries = [(info, wheel.read(info.filename)) for info in wheel.infolist()]
    with zipfile.ZipFile(wheel_path, 'w', zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr(os.path.basename(file_path), data)
        for info, content in entries:
            if info.filename.endswith('.dist-info/RECORD'):
                content += f'{os.path.basename(file_path)},sha256={digest},{len(data)}\n'.encode()
            wheel.writestr(info, content)


def read_version():
    scope = {}
    with open(os.path.join('basicsr_unlearn', 'version.py'), encoding='utf-8') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='basicsr_unlearn',
    version=read_version(),
    description='Machine unlearning for all-in-one image restoration, as a BasicSR plugin',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['basicsr_unlearn', 'basicsr_unlearn.*']) + ['basicsr_unlearn.options'],
    package_dir={'basicsr_unlearn.options': 'options'},  # the repo's options/ ships inside the package
    py_modules=['basicsr_unlearn_startup'],
    package_data={'basicsr_unlearn.zoo': ['*.pth', '*.json', 'real_mini/*.pth', 'real_mini/*.json',
                                          'real_mini_adair/*.pth', 'real_mini_adair/*.json'],
                  'basicsr_unlearn.runs': ['methods.yml'],
                  'basicsr_unlearn.options': ['*.yml', '*/*/*.yml']},
    python_requires='>=3.10',
    install_requires=[
        'basicsr==1.4.2',
        'torch>=2.0',
        'torchvision>=0.15',
        # the mini benchmark (and so the shipped zoo's recorded numbers) is made with OpenCV 5.0: 5.1 changes
        # 17 of its 1760 images by one grey level, and its file hash with them (tests/test_data_preparation.py)
        'opencv-python==5.0.0.93',
        'numpy',
        'lmdb',
        'matplotlib',  # report.png and the docs' figures
        'pyyaml',
        'addict',
        'scikit-image',
        'tqdm',
    ],
    # publisher signatures (export/publisher_signature.py); model-signing 1.1.1 imports OpenSSL without declaring it
    extras_require={'sign': ['model-signing==1.1.1', 'pyopenssl'],
                    'test': ['pytest', 'flake8', 'model-signing==1.1.1', 'pyopenssl']},
    entry_points={'console_scripts': ['basicsr-unlearn=basicsr_unlearn.cli:main']},
    cmdclass={'build_py': BuildPyWithHook, 'editable_wheel': EditableWheelWithHook},
    zip_safe=False,
)
