"""Preparation tools: the embedded mini benchmark, the real-data converter and the degradation
synthesis. They write datasets; the registered datasets that read them are in ``basicsr_unlearn.data``."""
