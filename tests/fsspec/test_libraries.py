"""The data stack over agentbay:// (the ``fsspec`` nox session installs these libraries):
pandas CSV and parquet, a pyarrow dataset, DuckDB over a glob, dask on two worker processes."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.timeout(60)  # the first imports of pandas and pyarrow take seconds

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ds = pytest.importorskip("pyarrow.dataset")


def frame(rows: int, offset: int = 0) -> Any:
    return pd.DataFrame(
        {"id": range(offset, offset + rows), "name": [f"n{i}" for i in range(rows)]}
    )


def test_pandas_csv_and_parquet(agentbay_fs: Any, fs_options: dict[str, Any]) -> None:
    df = frame(1000)
    df.to_csv("agentbay://data/t/a.csv", index=False, storage_options=fs_options)
    back = pd.read_csv("agentbay://data/t/a.csv", storage_options=fs_options)
    pd.testing.assert_frame_equal(back, df)
    df.to_parquet("agentbay://data/t/a.parquet", storage_options=fs_options)
    back = pd.read_parquet("agentbay://data/t/a.parquet", storage_options=fs_options)
    pd.testing.assert_frame_equal(back, df)
    assert agentbay_fs.ls("data/t", detail=False) == ["data/t/a.csv", "data/t/a.parquet"]


def test_pyarrow_dataset_over_a_folder(agentbay_fs: Any) -> None:
    for part in range(3):
        with agentbay_fs.open(f"data/parts/p{part}.parquet", "wb") as f:
            pq.write_table(pa.Table.from_pandas(frame(100, part * 100)), f)
    dataset = ds.dataset("data/parts", filesystem=agentbay_fs, format="parquet")
    table = dataset.to_table(filter=ds.field("id") >= 150)
    assert sorted(table.column("id").to_pylist()) == list(range(150, 300))


def test_duckdb_read_parquet_over_a_glob(agentbay_fs: Any) -> None:
    duckdb = pytest.importorskip("duckdb")
    for part in range(3):
        agentbay_fs.pipe(f"data/dk/p{part}.parquet", _parquet_bytes(frame(10, part * 10)))
    connection = duckdb.connect()
    connection.register_filesystem(agentbay_fs)
    [(total, count)] = connection.execute(
        "SELECT sum(id), count(*) FROM read_parquet('agentbay://data/dk/*.parquet')"
    ).fetchall()
    assert (total, count) == (sum(range(30)), 30)


def _parquet_bytes(df: Any) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df), sink)
    return bytes(sink.getvalue().to_pybytes())


@pytest.mark.timeout(120)
def test_dask_on_two_worker_processes(agentbay_fs: Any, fs_options: dict[str, Any]) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    for part in range(4):
        agentbay_fs.pipe(f"data/dask/p{part}.parquet", _parquet_bytes(frame(50, part * 50)))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        df = dd.read_parquet("agentbay://data/dask/*.parquet", storage_options=fs_options)
        assert df.npartitions == 4
        assert int(df["id"].sum().compute()) == sum(range(200))
        # The work ran in the two worker processes, each with a filesystem of its own.
        pids = client.run(lambda: __import__("os").getpid())
        assert len(set(pids.values())) == 2
