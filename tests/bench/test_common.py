"""The shared benchmark table: ratios oriented so that above 1 is better, percentiles by nearest rank."""

import json

from bench.common import Table, cpu_seconds, percentile, publish, rss_mb


def test_percentiles_by_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_ratios_compare_each_row_with_the_baseline_in_the_direction_that_is_better():
    rate = Table("turns", ("turns/s",), baseline="echo", ratio_of="turns/s")
    rate.add("echo", **{"turns/s": 80.0})
    rate.add("desk", **{"turns/s": 480.0})
    assert rate.ratio("desk") == 6.0
    wall = Table("sweep", ("seconds",), baseline="ideal", ratio_of="seconds", higher_is_better=False)
    wall.add("ideal", seconds=10.0)
    wall.add("measured", seconds=12.5)
    assert wall.ratio("measured") == 0.8
    assert "0.80" in wall.render().splitlines()[-1]


def test_publish_writes_the_tables_as_json(tmp_path, capsys):
    table = Table("store", ("p50 ms",), baseline="a", ratio_of="p50 ms", higher_is_better=False)
    table.add("a", **{"p50 ms": 2.0})
    table.add("b", **{"p50 ms": 4.0})
    publish("store", [table], tmp_path / "out.json")
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["tables"][0]["rows"]["b"]["ratio"] == 0.5
    assert document["machine"]["cores"] >= 1
    assert "store" in capsys.readouterr().out


def test_memory_and_cpu_of_this_process_are_read():
    assert 5 < rss_mb() < 100_000
    before = cpu_seconds()
    sum(n * n for n in range(2_000_000))
    assert cpu_seconds() > before
