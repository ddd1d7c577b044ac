"""Panels that apps above support add to the console's order page and customer 360. Support
never imports them (feedback sits on top): an app registers a template and a context function
in its AppConfig.ready, and the pages render whatever is registered, in registration order.

A context function takes the order (or the customer) and the signed-in user and returns the
template's context, or None to leave the panel out. It should run a small, fixed number of
queries: the pages' query bounds count them."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ContextFunction = Callable[[Any, Any], dict | None]


@dataclass(frozen=True)
class Panel:
    template_name: str
    context: ContextFunction


@dataclass(frozen=True)
class RenderedPanel:
    template_name: str
    context: dict


_ORDER_PANELS: list[Panel] = []
_CUSTOMER_PANELS: list[Panel] = []


def _register(panels: list[Panel], template_name: str, context: ContextFunction) -> None:
    panel = Panel(template_name, context)
    if panel not in panels:  # ready() may run twice (tests, autoreload)
        panels.append(panel)


def register_order_panel(template_name: str, context: ContextFunction) -> None:
    _register(_ORDER_PANELS, template_name, context)


def register_customer_panel(template_name: str, context: ContextFunction) -> None:
    _register(_CUSTOMER_PANELS, template_name, context)


def _render(panels: list[Panel], subject, user) -> list[RenderedPanel]:
    rendered = []
    for panel in panels:
        context = panel.context(subject, user)
        if context is not None:
            rendered.append(RenderedPanel(panel.template_name, context))
    return rendered


def order_panels(order, user) -> list[RenderedPanel]:
    return _render(_ORDER_PANELS, order, user)


def customer_panels(customer, user) -> list[RenderedPanel]:
    return _render(_CUSTOMER_PANELS, customer, user)
