"""The Helm chart, rendered per environment by the real Helm engine (no cluster, no binary).

Each environment is rendered once (see conftest); every object is validated against the
Kubernetes OpenAPI schemas in strict mode, and the operational promises are asserted.
"""

from __future__ import annotations

from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
from kubernetes_validate.utils import SchemaNotFoundError

from .support import CHART_DIR, ENVIRONMENTS, NAMESPACE, Manifest, env_values

pytestmark = pytest.mark.deploy

# The chart's kubeVersion floor and the newest schemas kubernetes-validate ships.
KUBE_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
APP_COMPONENTS = ("web", "worker", "scheduler")
HOOK = "helm.sh/hook"


def objects_of(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def one(manifests: list[Manifest], kind: str, component: str | None = None) -> Manifest:
    found = [
        m
        for m in objects_of(manifests, kind)
        if component is None
        or m["metadata"]["labels"].get("app.kubernetes.io/component") == component
    ]
    assert len(found) == 1, f"expected one {kind} {component or ''}, got {len(found)}"
    return found[0]


def deployment(manifests: list[Manifest], component: str) -> Manifest:
    return one(manifests, "Deployment", component)


def pod_spec(workload: Manifest) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def container(workload: Manifest) -> dict[str, Any]:
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1
    return containers[0]


def env_map(ctr: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in ctr.get("env", [])}


def workloads(manifests: list[Manifest]) -> list[Manifest]:
    return objects_of(manifests, "Deployment") + objects_of(manifests, "Job")


def checksums(manifests: list[Manifest]) -> dict[str, str]:
    return {
        c: deployment(manifests, c)["spec"]["template"]["metadata"]["annotations"][
            "checksum/config"
        ]
        for c in APP_COMPONENTS
    }


# --- Helm lint and schema validation -----------------------------------------------------


def test_lint_is_clean_in_strict_mode(env: str) -> None:
    report = helm.lint(
        CHART_DIR,
        env_values(env),
        strict=True,
        namespace=NAMESPACE,
        kube_version=f"v{KUBE_VERSIONS[0]}",
    )
    assert report["total_charts_linted"] == 1
    # Severity 1 is informational ("icon is recommended"); warnings and errors fail.
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not problems and not report["errors"], report


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_object_is_valid_kubernetes(manifests: list[Manifest], kube_version: str) -> None:
    assert manifests
    for obj in manifests:
        # Strict: unknown fields fail; an unknown kind raises SchemaNotFoundError.
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {where}: {error.message}")


def test_validator_rejects_unknown_kinds_and_fields() -> None:
    # Guards the check above: a validator that skipped unknowns would pass anything.
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with pytest.raises(SchemaNotFoundError):
        kubernetes_validate.validate(widget, KUBE_VERSIONS[0], strict=True)
    typo = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labelz": {}},
        "data": {},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBE_VERSIONS[0], strict=True)


def test_renders_the_expected_objects(manifests: list[Manifest], values: dict) -> None:
    kinds = sorted(m["kind"] for m in manifests)
    for kind, count in {
        "Deployment": 3,
        "Service": 1,
        "Ingress": 1,
        "Job": 1,
        "ConfigMap": 1,
        "NetworkPolicy": 1,
        "ServiceAccount": 2,  # the app's and the migration hook's
    }.items():
        assert kinds.count(kind) == count, kind
    autoscaled = [c for c in ("web", "worker") if values[c]["autoscaling"]["enabled"]]
    assert len(objects_of(manifests, "HorizontalPodAutoscaler")) == len(autoscaled)
    with_pdb = [c for c in ("web", "worker") if values[c]["pdb"]["enabled"]]
    assert len(objects_of(manifests, "PodDisruptionBudget")) == len(with_pdb)
    for obj in manifests:
        assert obj["metadata"]["labels"]["app.kubernetes.io/instance"] == "clm"


# --- Migrations --------------------------------------------------------------------------


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook(
    manifests: list[Manifest], values: dict
) -> None:
    job = one(manifests, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations[HOOK].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]

    ctr = container(job)
    assert ctr["args"] == [
        "python",
        "manage.py",
        "migrate_schemas",
        "--executor=multiprocessing",
    ]
    env = env_map(ctr)
    assert env["TENANT_MULTIPROCESSING_MAX_PROCESSES"]["value"] == str(
        values["migrations"]["maxProcesses"]
    )
    assert job["spec"]["activeDeadlineSeconds"] == values["migrations"]["activeDeadlineSeconds"]
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_migration_hook_needs_no_object_the_release_creates_later(
    manifests: list[Manifest],
) -> None:
    # Pre-install hooks run before the ConfigMap and the ServiceAccount exist.
    job = one(manifests, "Job")
    ctr = container(job)
    assert "envFrom" not in ctr, "the release's ConfigMap does not exist yet at pre-install"
    assert env_map(ctr)["TENANT_BASE_DOMAIN"]["value"]
    account = pod_spec(job)["serviceAccountName"]
    hook_accounts = {
        sa["metadata"]["name"]: sa
        for sa in objects_of(manifests, "ServiceAccount")
        if HOOK in sa["metadata"].get("annotations", {})
    }
    assert account in hook_accounts
    sa_annotations = hook_accounts[account]["metadata"]["annotations"]
    assert set(sa_annotations[HOOK].split(",")) == {"pre-install", "pre-upgrade"}
    assert int(sa_annotations["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    # The job sees the same settings as the app.
    config = one(manifests, "ConfigMap")["data"]
    job_env = env_map(ctr)
    for key, value in config.items():
        assert job_env[key]["value"] == value, key


# --- Workloads ---------------------------------------------------------------------------


def test_web_runs_gunicorn_with_probes(manifests: list[Manifest], values: dict) -> None:
    web = deployment(manifests, "web")
    ctr = container(web)
    args = ctr["args"]
    assert args[:2] == ["gunicorn", "clm_platform.wsgi:application"]
    assert "--bind=0.0.0.0:8000" in args
    assert "--workers=$(WEB_CONCURRENCY)" in args
    assert "--threads=1" in args
    assert env_map(ctr)["WEB_CONCURRENCY"]["value"] == str(values["web"]["concurrency"])

    host = values["config"]["tenantBaseDomain"]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = ctr[probe]["httpGet"]
        assert get["path"] == path
        assert get["port"] == "http"
        # The Host header must pass ALLOWED_HOSTS, which a pod IP would not.
        assert {"name": "Host", "value": host} in get["httpHeaders"]
    assert ctr["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert {"name": "http", "containerPort": 8000, "protocol": "TCP"} in ctr["ports"]


def test_worker_runs_dramatiq(manifests: list[Manifest], values: dict) -> None:
    worker = deployment(manifests, "worker")
    args = container(worker)["args"]
    assert args[:2] == ["dramatiq", "tasks"]
    assert f"--processes={values['worker']['processes']}" in args
    assert f"--threads={values['worker']['threads']}" in args
    # In-flight messages get their shutdown timeout before the kubelet kills the pod.
    shutdown = values["worker"]["shutdownTimeoutSeconds"]
    assert f"--worker-shutdown-timeout={shutdown * 1000}" in args
    assert pod_spec(worker)["terminationGracePeriodSeconds"] > shutdown


def test_scheduler_is_a_single_replica_that_never_overlaps(manifests: list[Manifest]) -> None:
    scheduler = deployment(manifests, "scheduler")
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"] == {"type": "Recreate"}
    assert container(scheduler)["args"] == ["python", "manage.py", "crontab"]
    targets = {
        hpa["spec"]["scaleTargetRef"]["name"]
        for hpa in objects_of(manifests, "HorizontalPodAutoscaler")
    }
    assert scheduler["metadata"]["name"] not in targets


def test_one_image_for_every_workload(manifests: list[Manifest]) -> None:
    images = {c["image"] for w in workloads(manifests) for c in pod_spec(w)["containers"]}
    assert len(images) == 1


def test_pods_are_locked_down(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        pod_ctx = spec["securityContext"]
        assert pod_ctx["runAsNonRoot"] is True, name
        assert pod_ctx["runAsUser"] != 0, name
        assert pod_ctx["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name

        volumes = {v["name"]: v for v in spec["volumes"]}
        for ctr in spec["containers"]:
            ctx = ctr["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True, name
            assert ctx["allowPrivilegeEscalation"] is False, name
            assert ctx["capabilities"] == {"drop": ["ALL"]}, name
            assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}, name
            tmp = [m for m in ctr["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert len(tmp) == 1, name
            assert "emptyDir" in volumes[tmp[0]["name"]], name


def test_every_container_has_requests_and_limits(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        for ctr in pod_spec(workload)["containers"]:
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(ctr["resources"][bound]), (
                    workload["metadata"]["name"],
                    bound,
                )


def test_app_pods_use_the_service_account(manifests: list[Manifest]) -> None:
    account = next(
        sa
        for sa in objects_of(manifests, "ServiceAccount")
        if HOOK not in sa["metadata"].get("annotations", {})
    )
    assert account["automountServiceAccountToken"] is False
    for component in APP_COMPONENTS:
        spec = pod_spec(deployment(manifests, component))
        assert spec["serviceAccountName"] == account["metadata"]["name"]


# --- Scaling -----------------------------------------------------------------------------


@pytest.mark.parametrize("component", ["web", "worker"])
def test_autoscaling_targets_the_right_deployment(
    manifests: list[Manifest], values: dict, component: str
) -> None:
    target = deployment(manifests, component)
    scaling = values[component]["autoscaling"]
    hpas = [
        h
        for h in objects_of(manifests, "HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"]["name"] == target["metadata"]["name"]
    ]
    if not scaling["enabled"]:
        assert not hpas
        assert target["spec"]["replicas"] == values[component]["replicas"]
        return
    (hpa,) = hpas
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": target["metadata"]["name"],
    }
    assert hpa["spec"]["minReplicas"] == scaling["minReplicas"]
    assert hpa["spec"]["maxReplicas"] == scaling["maxReplicas"]
    assert 1 <= scaling["minReplicas"] <= scaling["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert (
        metric["resource"]["target"]["averageUtilization"]
        == (scaling["targetCPUUtilizationPercentage"])
    )
    # The HPA owns the replica count; a fixed one would reset it on every upgrade.
    assert "replicas" not in target["spec"]


def test_disruption_budgets_select_their_pods(manifests: list[Manifest]) -> None:
    for pdb in objects_of(manifests, "PodDisruptionBudget"):
        component = pdb["metadata"]["labels"]["app.kubernetes.io/component"]
        pod_labels = deployment(manifests, component)["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert pdb["spec"]["maxUnavailable"] >= 1


# --- Networking --------------------------------------------------------------------------


def test_ingress_serves_the_base_domain_and_every_tenant_subdomain(
    manifests: list[Manifest], values: dict
) -> None:
    base = values["config"]["tenantBaseDomain"]
    ingress = one(manifests, "Ingress")
    rules = ingress["spec"]["rules"]
    assert [r["host"] for r in rules] == [base, f"*.{base}"]
    (tls,) = ingress["spec"]["tls"]
    assert tls["hosts"] == [base, f"*.{base}"]
    assert tls["secretName"] == values["ingress"]["tls"]["secretName"]

    service = one(manifests, "Service")
    port_names = {p["name"] for p in service["spec"]["ports"]}
    for rule in rules:
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"]["name"] in port_names
    web_labels = deployment(manifests, "web")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= web_labels.items()


def test_network_policy_covers_every_pod(manifests: list[Manifest]) -> None:
    policy = one(manifests, "NetworkPolicy")
    selector = policy["spec"]["podSelector"]["matchLabels"]
    for workload in workloads(manifests):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), workload["metadata"]["name"]
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    for rule in policy["spec"]["ingress"]:
        assert rule.get("from"), "an ingress rule without sources admits everyone"
    egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}
    assert {53, 5432, 6379, 443} <= egress_ports


# --- Configuration and credentials -------------------------------------------------------

SECRET_KEYS = {
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SIGNING_KEY",
    "SECRET_KEY",
    "SENTRY_DSN",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
}


def test_configmap_holds_settings_and_no_credentials(
    manifests: list[Manifest], values: dict
) -> None:
    data = one(manifests, "ConfigMap")["data"]
    config = values["config"]
    assert data["DJANGO_SETTINGS_MODULE"] == "clm_platform.settings"
    assert data["DJANGO_DEBUG"] == "false"
    assert data["TENANT_BASE_DOMAIN"] == config["tenantBaseDomain"]
    assert f".{config['tenantBaseDomain']}" in data["ALLOWED_HOSTS"].split(",")
    assert data["SENTRY_ENVIRONMENT"] == config["sentryEnvironment"]
    assert data["S3_BUCKET"] == config["s3Bucket"]
    assert data["STORAGE_BACKEND"] == "s3"
    for key in ("CORS_ALLOWED_ORIGINS", "API_DOCS_ENABLED", "S3_ENDPOINT_URL", "S3_REGION"):
        assert key in data
    assert not SECRET_KEYS & set(data)


def test_credentials_come_from_the_existing_secret(manifests: list[Manifest], values: dict) -> None:
    secret = values["credentials"]["existingSecret"]
    assert not objects_of(manifests, "Secret"), "the chart must not create credentials"
    required = set(values["credentials"]["requiredKeys"])
    for workload in workloads(manifests):
        env = env_map(container(workload))
        assert set(env) >= SECRET_KEYS, workload["metadata"]["name"]
        for key in SECRET_KEYS:
            ref = env[key]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret
            assert ref["key"] == key
            assert ref.get("optional", False) is (key not in required)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_rendering_without_the_secret_fails_clearly(render, env_name: str) -> None:
    values = env_values(env_name, credentials={"existingSecret": ""})
    with pytest.raises(helm.HelmRenderError, match=r"credentials\.existingSecret is required"):
        render(values)


def test_chart_defaults_alone_do_not_render(render) -> None:
    # Every environment must choose its Secret and domain explicitly.
    with pytest.raises(helm.HelmRenderError, match="is required"):
        render(None)


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"web": {"autoscalling": {"enabled": False}}}, "autoscalling"),  # a typo is not ignored
        ({"config": {"environment": "dev"}}, "environment"),  # dev relaxes production checks
        ({"worker": {"processes": 0}}, "processes"),
    ],
)
def test_values_schema_rejects_mistakes(render, override: dict, complaint: str) -> None:
    with pytest.raises(helm.HelmValuesError, match=complaint):
        render(env_values("prod", **override))


def test_config_changes_roll_the_pods(render, rendered_envs) -> None:
    before = checksums(rendered_envs["prod"])
    assert len(set(before.values())) == 1, "all components share one configuration"

    changed = checksums(render(env_values("prod", config={"logLevel": "DEBUG"})))
    for component in APP_COMPONENTS:
        assert changed[component] != before[component], component

    # A change outside the configuration leaves the checksum (and the pods) alone.
    unrelated = checksums(render(env_values("prod", web={"concurrency": 5})))
    assert unrelated == before


# --- Environments ------------------------------------------------------------------------


def test_environments_differ_where_they_should(chart) -> None:
    merged = {env: chart.merge_values(env_values(env)) for env in ENVIRONMENTS}
    dev, staging, prod = (merged[e] for e in ENVIRONMENTS)

    for path in (
        ("config", "tenantBaseDomain"),
        ("config", "sentryEnvironment"),
        ("config", "s3Bucket"),
        ("credentials", "existingSecret"),
        ("ingress", "tls", "secretName"),
    ):
        seen = set()
        for env in ENVIRONMENTS:
            node: Any = merged[env]
            for key in path:
                node = node[key]
            seen.add(node)
        assert len(seen) == len(ENVIRONMENTS), path

    assert prod["config"]["sentryEnvironment"] == "production"
    assert prod["config"]["apiDocsEnabled"] is False
    assert not dev["web"]["autoscaling"]["enabled"]
    for component in ("web", "worker"):
        assert staging[component]["autoscaling"]["enabled"]
        assert prod[component]["autoscaling"]["enabled"]
        assert (
            prod[component]["autoscaling"]["minReplicas"]
            > staging[component]["autoscaling"]["minReplicas"]
        )
        assert (
            prod[component]["autoscaling"]["maxReplicas"]
            > staging[component]["autoscaling"]["maxReplicas"]
        )
    assert prod["web"]["autoscaling"]["minReplicas"] >= 3, "survive a zone and a rollout"
    assert prod["migrations"]["maxProcesses"] > dev["migrations"]["maxProcesses"]
    assert prod["migrations"]["activeDeadlineSeconds"] > dev["migrations"]["activeDeadlineSeconds"]
