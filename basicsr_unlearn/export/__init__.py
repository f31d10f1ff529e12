"""Model-zoo entries for unlearned models: export with evidence, verify, lineage."""
