"""Evaluation and reports: metrics, figures, `melnev evaluate`, the leave-one-source-out report."""
