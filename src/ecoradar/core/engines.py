"""The engines the batch jobs over history run on (issue 17, item 6): an Ibis backend on DuckDB
in-process, or on Apache Spark (``local[N]`` on this machine, or a cluster's master URL). The
jobs themselves (``linkage.batch``, ``power.batch``, ``stations.batch``) are Ibis expressions
written once; this is only where their backend comes from and how it is let go.
"""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


def connect(engine: Engine, *, spark_master: str = "local[1]") -> BaseBackend:
    """An Ibis backend: DuckDB in memory, or a Spark session (``local[N]`` on this machine,
    or a cluster's master URL)."""
    import ibis

    if engine == "duckdb":
        return ibis.duckdb.connect()
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(spark_master)
        .appName("ecoradar-batch")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="ecoradar-spark-"))
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)


def close(backend: BaseBackend) -> None:
    """Disconnect; for Spark also stop the session and the JVM's gateway (its sockets)."""
    backend.disconnect()
    if backend.name == "pyspark":
        from pyspark import SparkContext

        gateway = SparkContext._gateway
        if gateway is not None:
            process = getattr(gateway, "proc", None)
            gateway.shutdown()
            gateway.close()
            if process is not None:  # the JVM ends when its standard input closes
                process.stdin.close()
                process.wait(timeout=60)
            SparkContext._gateway = None
            SparkContext._jvm = None
