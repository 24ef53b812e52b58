"""Investigations: cases opened on tips, worked by assigned investigators, concluded with
an outcome that closes the tips and tells their reporters."""
