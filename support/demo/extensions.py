"""Demo steps of the apps above support (feedback), run by seed_demo after its own: support
seeds every app without importing the ones on top of it. Apps register a dotted path in their
AppConfig.ready, imported only when the demo runs."""

from collections.abc import Callable

from django.utils.module_loading import import_string

_steps: dict[str, str] = {}


def register_demo_step(label: str, dotted_path: str) -> None:
    """`dotted_path` names `step(*, clock, now, users, stdout) -> str` (a one-line summary)."""
    _steps[label] = dotted_path


def demo_steps() -> list[tuple[str, Callable[..., str]]]:
    return [(label, import_string(path)) for label, path in _steps.items()]
