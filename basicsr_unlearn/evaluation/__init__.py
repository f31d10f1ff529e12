"""Evaluating restoration models per task, and how well they forgot (see DESIGN.md section 4)."""
