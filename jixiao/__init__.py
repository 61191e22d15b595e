"""jixiao: 项目支出绩效自评表 in published documents → Parquet datasets of projects and indicators."""

__version__ = "0.1.0"
