"""The HTML report: pictures embedded, conflicts listed, sections grouped and capped."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.viewer.conftest import STREET
from vkls.io.report_html import MAX_SECTIONS, section_chainages


@pytest.fixture(scope="module")
def test_street_result():
    from vkls.pipeline import check

    return check(str(STREET))


def test_sections_group_nearby_conflicts_and_cap_the_count():
    conflicts = [SimpleNamespace(id=f"C{n}", chainage=float(n)) for n in range(40)]
    conflicts += [SimpleNamespace(id="C-near", chainage=5.2), SimpleNamespace(id="C-near2", chainage=5.4)]
    drawn, left_out = section_chainages(conflicts)
    assert len(drawn) == MAX_SECTIONS and len(drawn) + len(left_out) == 40
    groups = dict(drawn)
    assert [c.id for c in groups[5.0]] == ["C5", "C-near", "C-near2"], "the busiest chainage is drawn"
    assert [chainage for chainage, _ in drawn] == sorted(chainage for chainage, _ in drawn)


def test_report_embeds_a_render_and_sections(test_street_result):
    from vkls.io.report_html import report_html

    page = report_html(test_street_result)
    assert page.count('<img src="data:image/png;base64,') == 1 + len(section_chainages(test_street_result.conflicts)[0])
    for conflict in test_street_result.conflicts[:5]:
        assert conflict.id in page
    assert "&lt;" not in test_street_result.street.name
