"""Paths and helpers shared by the deployment tests (plain functions, no fixtures)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "helm" / "clm"
DEPLOY_DIR = REPO_ROOT / "deploy"
ENVIRONMENTS = ("dev", "staging", "prod")
RELEASE = "clm"
NAMESPACE = "clm"

Manifest = dict[str, Any]


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
