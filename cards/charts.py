"""Teams' chart elements for Adaptive Cards, each with a fallback that clients without charts show instead (a
table or facts with the same numbers).

Shapes from https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/charts-in-adaptive-cards
(Chart.Line: data [{legend, values: [{x, y}]}]; Chart.VerticalBar: data [{x, y}]; Chart.VerticalBar.Grouped: data
[{legend, values}]; Chart.HorizontalBar: data [{x, y}]; Chart.Donut: data [{legend, value}]; every element takes
`fallback`). Labels are chart text, never Markdown; fallback cells are TextRuns for the same reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Element = dict[str, Any]


def cell(text: str, bold: bool = False) -> Element:
    """A table cell showing `text` literally."""
    run: Element = {"type": "TextRun", "text": text}
    if bold:
        run["weight"] = "Bolder"
    return {"type": "TableCell", "items": [{"type": "RichTextBlock", "inlines": [run]}]}


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Element:
    """A Table with a header row: the fallback of every chart."""
    return {
        "type": "Table",
        "columns": [{"width": 1} for _ in header],
        "firstRowAsHeader": True,
        "rows": [
            {"type": "TableRow", "cells": [cell(h, bold=True) for h in header]},
            *({"type": "TableRow", "cells": [cell(v) for v in row]} for row in rows),
        ],
    }


def line(
    title: str, x_title: str, y_title: str, series: Sequence[tuple[str, Sequence[tuple[str, int]]]], fallback: Element
) -> Element:
    """A line chart of one or more series of (x, y)."""
    return {
        "type": "Chart.Line",
        "title": title,
        "xAxisTitle": x_title,
        "yAxisTitle": y_title,
        "data": [{"legend": legend, "values": [{"x": x, "y": y} for x, y in points]} for legend, points in series],
        "fallback": fallback,
    }


def vertical_bar(title: str, x_title: str, y_title: str, bars: Sequence[tuple[str, int]], fallback: Element) -> Element:
    """A vertical bar chart, the values shown on the bars."""
    return {
        "type": "Chart.VerticalBar",
        "title": title,
        "xAxisTitle": x_title,
        "yAxisTitle": y_title,
        "showBarValues": True,
        "data": [{"x": x, "y": y} for x, y in bars],
        "fallback": fallback,
    }


def grouped_bars(title: str, groups: Sequence[tuple[str, Sequence[tuple[str, int]]]], fallback: Element) -> Element:
    """Vertical bars grouped by x, one colour per legend."""
    return {
        "type": "Chart.VerticalBar.Grouped",
        "title": title,
        "data": [{"legend": legend, "values": [{"x": x, "y": y} for x, y in values]} for legend, values in groups],
        "fallback": fallback,
    }


def horizontal_bar(title: str, bars: Sequence[tuple[str, int]], fallback: Element) -> Element:
    """A horizontal bar chart (names too long for a vertical axis)."""
    return {
        "type": "Chart.HorizontalBar",
        "title": title,
        "data": [{"x": x, "y": y} for x, y in bars],
        "fallback": fallback,
    }


def donut(title: str, slices: Sequence[tuple[str, int]], fallback: Element) -> Element:
    """A donut chart of (legend, value)."""
    return {
        "type": "Chart.Donut",
        "title": title,
        "data": [{"legend": k, "value": v} for k, v in slices],
        "fallback": fallback,
    }
