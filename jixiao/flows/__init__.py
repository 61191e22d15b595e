"""Prefect orchestration of the same functions `jixiao run` uses (filled by the flows issue)."""
