"""Prefect orchestration of the very steps `jixiao run` takes; no extraction logic lives here.

Importing this package imports Prefect, after `configure_prefect_env` has switched
its telemetry off and given it a writable home.
"""
from jixiao.flows.env import configure_prefect_env

configure_prefect_env()

from jixiao.flows.ingest import (
    DASK_NEEDS_SERVER,
    FilesFailed,
    NoServer,
    ingest,
    require_server,
    run_flow,
    serve,
    show_logs_on,
)
from jixiao.flows.server import ServerUnavailable

__all__ = ["DASK_NEEDS_SERVER", "FilesFailed", "NoServer", "ServerUnavailable", "configure_prefect_env", "ingest",
           "require_server", "run_flow", "serve", "show_logs_on"]
