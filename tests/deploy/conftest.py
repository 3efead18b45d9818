"""Fixtures for the deployment tests.

Nothing here touches Django, a database or a cluster: the chart is rendered and linted by the
Helm engine embedded in helm-python-sdk, and the container files are parsed as text/YAML. The
tests use no `db` fixture, so pytest-django never sets up a database for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import helm_python as helm
import pytest
import yaml

from .support import CHART_DIR, ENVIRONMENTS, NAMESPACE, RELEASE, Manifest, env_values


def pytest_configure(config: pytest.Config) -> None:
    # Registered here rather than in pyproject so this folder stays self-contained.
    config.addinivalue_line("markers", "deploy: container image, compose and Helm chart checks")


@pytest.fixture(autouse=True)
def _clean_state():
    """Shadows the suite-wide autouse fixture of this name (it flushes Redis and resets the
    DB schema): these tests use neither, so they run without any service up."""
    yield


@pytest.fixture(scope="session")
def chart():
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def render(chart) -> Callable[[dict[str, Any] | None], list[Manifest]]:
    """Render the chart as `helm install` would (hooks included) and parse every object."""

    def _render(values: dict[str, Any] | None = None) -> list[Manifest]:
        files = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
        objects: list[Manifest] = []
        for path, text in sorted(files.items()):
            if path.endswith((".yaml", ".yml")):  # skips NOTES.txt
                objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
        return objects

    return _render


@pytest.fixture(scope="session")
def rendered_envs(render) -> dict[str, list[Manifest]]:
    """Each environment rendered once for the whole run."""
    return {env: render(env_values(env)) for env in ENVIRONMENTS}


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def values(env: str, chart) -> dict[str, Any]:
    """The values Helm actually uses for the environment (chart defaults + values file)."""
    return chart.merge_values(env_values(env))


@pytest.fixture(scope="module")
def manifests(env: str, rendered_envs) -> list[Manifest]:
    return rendered_envs[env]
