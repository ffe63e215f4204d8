"""Render only what changed (report/freshness.py): a suite whose records, plans, code and outputs are as at
the last render is left as it is; any change, a deleted or edited output, or --force renders it again."""

import json

import pytest

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.report import freshness
from hgbench.benchmarks.run.store import Store

RUN = ["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic"]


def _stamps(out):
    """Modification time of each report file, by path relative to ``out`` (the store excluded)."""
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*")
            if p.is_file() and "store" not in p.relative_to(out).parts and p.name != freshness.STATE}


@pytest.fixture
def rendered(tmp_path):
    out = tmp_path / "results"
    assert main([*RUN, "--seeds", "2", "--out", str(out)]) == 0
    return out


def test_unchanged_store_is_not_rendered_again(rendered, capsys):
    before = _stamps(rendered)
    assert {"demo/table.tex", "demo/leaderboard.csv", "claims.md", "leaderboard.csv"} <= set(before)
    assert main([*RUN, "--seeds", "2", "--out", str(rendered)]) == 0
    assert main(["report", "--out", str(rendered)]) == 0
    assert "is up to date with the store" in capsys.readouterr().err
    assert _stamps(rendered) == before


def test_a_new_record_renders_the_suite_and_the_cross_suite_files(rendered):
    before = _stamps(rendered)
    assert main([*RUN, "--seeds", "3", "--out", str(rendered)]) == 0
    after = _stamps(rendered)
    assert after["demo/table.tex"] > before["demo/table.tex"] and after["claims.md"] > before["claims.md"]
    assert "3 splits" in (rendered / "demo" / "table.tex").read_text()


def test_a_deleted_or_edited_output_is_rendered_again_alone(rendered):
    table = (rendered / "demo" / "table.tex").read_text()
    before = _stamps(rendered)
    (rendered / "demo" / "table.tex").unlink()
    assert main(["report", "--out", str(rendered)]) == 0
    assert (rendered / "demo" / "table.tex").read_text() == table
    assert _stamps(rendered)["claims.md"] == before["claims.md"]  # the cross-suite files read no changed input
    (rendered / "claims.md").write_text("edited by hand\n")
    assert main(["report", "--out", str(rendered)]) == 0
    assert (rendered / "claims.md").read_text() != "edited by hand\n"


def test_force_a_code_change_or_an_html_request_renders_again(rendered, monkeypatch):
    before = _stamps(rendered)
    assert main(["report", "--force", "--out", str(rendered)]) == 0
    forced = _stamps(rendered)
    assert all(forced[name] > before[name] for name in ("demo/table.tex", "claims.md"))
    monkeypatch.setattr(freshness, "code_version", lambda: "another version of the code")
    assert main(["report", "--out", str(rendered)]) == 0
    assert _stamps(rendered)["demo/notes.md"] > forced["demo/notes.md"]
    assert not (rendered / "report.html").exists()
    assert main(["report", "--html", "--out", str(rendered)]) == 0  # nothing changed, but no page was written
    assert (rendered / "report.html").exists()
    state = json.loads((rendered / freshness.STATE).read_text())
    assert freshness.PAGE in state[freshness.ALL]["outputs"]


def test_check_names_only_the_suites_that_changed(rendered):
    store = Store(rendered / "store")
    assert freshness.check(store, rendered).up_to_date
    plan = store.root / "plans" / "demo.json"
    plan.write_text(plan.read_text().replace('"entries"', '"entries" ', 1))  # the same plan, other bytes
    found = freshness.check(store, rendered)
    assert found.stale == {"demo"} and found.all_stale and "demo" not in found.kept
