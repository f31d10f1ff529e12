"""Preparation tools: the embedded mini benchmark, the real mini protocol built from the public
releases (``public_layouts`` reads them), the converter of the authors' folders and the
degradation synthesis. They write datasets; the registered datasets that read them are in
``basicsr_unlearn.data``."""
