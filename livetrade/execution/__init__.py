"""Execution: commands, the execution engine and reconciliation rules."""
