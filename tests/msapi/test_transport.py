"""The CA bundle the clients trust: written whole, so a worker reading it while another rewrites it (gunicorn's
workers start together on one data folder) never reads half a file."""

from __future__ import annotations

from pathlib import Path

import certifi

from msapi.transport import combined_bundle


def test_a_reader_of_the_bundle_keeps_the_whole_file_it_opened_while_another_worker_rewrites_it(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "first.pem", tmp_path / "second.pem"
    first.write_text("-----FIRST CA-----\n", encoding="ascii")
    second.write_text("-----SECOND CA-----\n", encoding="ascii")
    bundle = tmp_path / "ca-bundle.pem"
    combined_bundle(str(first), str(bundle))

    with open(bundle, encoding="ascii") as reading:
        combined_bundle(str(second), str(bundle))  # another worker, meanwhile
        seen = reading.read()

    public = Path(certifi.where()).read_text(encoding="ascii")
    assert seen == public + "\n-----FIRST CA-----\n"
    assert bundle.read_text(encoding="ascii") == public + "\n-----SECOND CA-----\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca-bundle.pem", "first.pem", "second.pem"]
