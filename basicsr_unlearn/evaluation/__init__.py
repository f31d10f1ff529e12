"""Evaluating restoration models per task, and how well they forgot (docs/Evaluation.md)."""
