"""The chart tests' shared fixtures: no figure left open, and a chart rendered as the bot renders
it, with its figure handed back drawn."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from bot.views import charts, client_charts


@pytest.fixture
def no_figure_left_open() -> Iterator[None]:
    yield
    assert plt.get_fignums() == []


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[], bytes]], Figure]:
    """Render a chart as the bot does and hand back its figure, drawn, then saved and closed: with
    its renderer (`figure.drawn_with`) and where its legends and axes were drawn, in pixels
    (`figure.drawn_boxes`)."""
    figures: list[Figure] = []
    save = charts._png

    def capture(figure: Figure) -> bytes:
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        figure.drawn_with = renderer  # type: ignore[attr-defined]
        figure.drawn_boxes = {  # type: ignore[attr-defined]
            "legends": [legend.get_window_extent(renderer) for legend in figure.legends],
            "axes": [axes.get_window_extent(renderer) for axes in figure.axes],
        }
        figures.append(figure)
        return save(figure)

    monkeypatch.setattr(charts, "_png", capture)
    monkeypatch.setattr(client_charts, "_png", capture)

    def render_chart(make: Callable[[], bytes]) -> Figure:
        make()
        return figures[-1]

    return render_chart
