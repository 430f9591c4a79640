"""Charts stay plain inline SVG whatever other libraries register as ElementTree's default
namespace (openpyxl does, when a workbook is written in the same process)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from welcomematch.charts import Series, bar_chart


def test_a_chart_keeps_the_svg_default_namespace_after_another_library_registers_its_own():
    ET.register_namespace("", "http://schemas.openxmlformats.org/spreadsheetml/2006/main")
    try:
        svg = bar_chart(title="Namespaces", categories=["a", "b"], series=[Series("x", [1, 2])])
    finally:
        ET.register_namespace("", "http://www.w3.org/2000/svg")
    opening = svg[: svg.index(">") + 1]
    assert opening.startswith("<svg ") and 'xmlns="http://www.w3.org/2000/svg"' in opening
    assert "ns0:" not in svg and ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
