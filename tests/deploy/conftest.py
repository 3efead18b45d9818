"""Fixtures for the deployment tests.

Nothing here touches Django, a database or a cluster: the chart is rendered and linted by the
Helm engine embedded in helm-python-sdk, and the container files are parsed as text/YAML. The
tests use no `db` fixture, so pytest-django never sets up a database for them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "helm" / "clm"
DEPLOY_DIR = REPO_ROOT / "deploy"
ENVIRONMENTS = ("dev", "staging", "prod")
RELEASE = "clm"
NAMESPACE = "clm"

Manifest = dict[str, Any]


def pytest_configure(config: pytest.Config) -> None:
    # Registered here rather than in pyproject so this folder stays self-contained.
    config.addinivalue_line("markers", "deploy: container image, compose and Helm chart checks")


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge like Helm merges -f files: maps recursively, everything else replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def env_values(env: str, **overrides: Any) -> dict[str, Any]:
    """An environment's values file, optionally with overrides merged on top."""
    values = yaml.safe_load((CHART_DIR / f"values-{env}.yaml").read_text()) or {}
    return deep_merge(values, overrides)


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
