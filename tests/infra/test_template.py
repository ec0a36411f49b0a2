"""template.yaml: linted (cfn-lint, sam validate --lint), built (sam build, Python 3.12),
and transformed in-process by aws-sam-translator to check what the application needs:
each function's handler imports, every function has the layer and its MEMORY_* settings,
every /v1 area has its routes, the queue has its dead-letter queue, the alarms exist."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from memory_mesh.cloud.secrets import SecretRefs
from memory_mesh.config import Settings
from tests.infra.lambda_support import ROOT, load_function

TEMPLATE = ROOT / "template.yaml"
SAM_ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PYENV_VERSION": "3.11.7:3.12.1"}

# what every function needs to start in AWS, and what only some need
COMMON_SETTINGS = {
    "MEMORY_ENVIRONMENT",
    "MEMORY_AUTO_MIGRATE",
    "MEMORY_DATABASE_SECRET_ARN",
    "MEMORY_JWT_SECRET_KEY_SECRET_ARN",
    "MEMORY_EMBEDDING_PROVIDER",
    "MEMORY_EMBEDDING_DIMENSIONS",
    "MEMORY_EMBEDDING_MAX_ATTEMPTS",
    "MEMORY_AWS_REGION",
    "MEMORY_REDIS_URL",
    "MEMORY_REDIS_CLUSTER",  # ElastiCache Serverless is cluster mode
}
EXTRA_SETTINGS = {
    "messages": {"MEMORY_SQS_QUEUE_URL", "MEMORY_EMBEDDING_MODE"},
    "transfer": {"MEMORY_SQS_QUEUE_URL", "MEMORY_EMBEDDING_MODE"},
}


class _NoManagedPolicies:
    """The translator's managed-policy loader, offline (SAM knows the ones it adds)."""

    def load(self) -> dict[str, str]:
        return {}


def _sam_template() -> dict[str, Any]:
    from samcli.yamlhelper import yaml_parse

    parsed: dict[str, Any] = yaml_parse(TEMPLATE.read_text())
    return parsed


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    return _sam_template()


@pytest.fixture(scope="module")
def code_dirs(source: dict[str, Any]) -> dict[str, str]:
    """Logical id -> CodeUri of each function (the translator needs S3 URIs instead)."""
    return {
        name: res["Properties"]["CodeUri"]
        for name, res in source["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }


@pytest.fixture(scope="module")
def cfn(source: dict[str, Any]) -> dict[str, Any]:
    """The template after the SAM transform, as CloudFormation will see it."""
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(source)
    for res in template["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            res["Properties"]["CodeUri"] = f"s3://artifacts/{res['Properties']['CodeUri']}"
        if res["Type"] == "AWS::Serverless::LayerVersion":
            res["Properties"]["ContentUri"] = f"s3://artifacts/{res['Properties']['ContentUri']}"
    parameters = {k: v.get("Default") for k, v in template["Parameters"].items()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # pseudo parameters need a region
        result: dict[str, Any] = transform(template, parameters, _NoManagedPolicies())
    return result


def _resources(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in cfn["Resources"].items() if v["Type"] == kind}


def _area(code_uri: str) -> str:
    return Path(code_uri).name


def test_cfn_lint_passes() -> None:
    result = subprocess.run(
        ["cfn-lint", str(TEMPLATE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("sam") is None, reason="aws-sam-cli not installed")
def test_sam_validate_lint_passes() -> None:
    result = subprocess.run(
        ["sam", "validate", "--lint", "--template-file", str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
        env=SAM_ENV,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _python312() -> bool:
    found = (
        subprocess.run(["python3.12", "--version"], capture_output=True, env=SAM_ENV, check=False)
        if shutil.which("python3.12", path=os.environ.get("PATH"))
        else None
    )
    return found is not None and found.returncode == 0


def test_every_function_handler_exists_and_imports(
    code_dirs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, code_uri in code_dirs.items():
        assert (ROOT / code_uri / "app.py").is_file(), name
        module = load_function(_area(code_uri), monkeypatch, {})
        assert callable(module.lambda_handler), name


def test_every_function_uses_the_one_layer(cfn: dict[str, Any]) -> None:
    (layer_id,) = _resources(cfn, "AWS::Lambda::LayerVersion")
    for name, fn in _resources(cfn, "AWS::Lambda::Function").items():
        assert fn["Properties"]["Layers"] == [{"Ref": layer_id}], name
        assert fn["Properties"]["Runtime"] == "python3.12"
        assert fn["Properties"]["Handler"] == "app.lambda_handler"
        assert fn["Properties"]["TracingConfig"] == {"Mode": "Active"}, name


def test_every_function_has_the_settings_it_needs_and_only_known_ones(
    cfn: dict[str, Any], code_dirs: dict[str, str]
) -> None:
    known = {f"MEMORY_{f.upper()}" for f in {*Settings.model_fields, *SecretRefs.model_fields}}
    for name, fn in _resources(cfn, "AWS::Lambda::Function").items():
        env = set(fn["Properties"]["Environment"]["Variables"])
        memory = {k for k in env if k.startswith("MEMORY_")}
        assert memory <= known, f"{name}: unknown settings {memory - known}"
        area = _area(code_dirs[name])
        missing = (COMMON_SETTINGS | EXTRA_SETTINGS.get(area, set())) - memory
        assert not missing, f"{name} lacks {missing}"
        variables = fn["Properties"]["Environment"]["Variables"]
        assert variables["MEMORY_AUTO_MIGRATE"] == "false", "the cloud migrates at deploy"
        assert "MEMORY_DATABASE_URL" not in variables, "the URL comes from the secret"


# areas of the local app that are not HTTP API routes in AWS, and why
NOT_IN_HTTP_API = {
    "realtime": "the local server's WebSockets; AWS has the WebSocket API and its function",
    "legacy": "deprecated pre-/v1 paths; not deployed to AWS",
}


def _covers(template_path: str, route_path: str) -> bool:
    if template_path.endswith("/{proxy+}"):
        return route_path.startswith(template_path.removesuffix("{proxy+}"))
    return template_path == route_path


def test_each_http_area_routes_to_its_own_function(
    cfn: dict[str, Any], code_dirs: dict[str, str]
) -> None:
    from fastapi.routing import APIRoute

    from memory_mesh.http.app import AREAS

    paths = cfn["Resources"]["HttpApi"]["Properties"]["Body"]["paths"]
    by_area = {_area(uri): name for name, uri in code_dirs.items()}
    for area, router in AREAS.items():
        if area in NOT_IN_HTTP_API:
            continue
        assert area in by_area, f"no function for the {area} area"
        targets = {
            path
            for path, methods in paths.items()
            for method in methods.values()
            if by_area[area] in str(method["x-amazon-apigateway-integration"]["uri"])
        }
        for route in router.routes:
            if isinstance(route, APIRoute):
                covering = [t for t in targets if _covers(t, route.path)]
                assert covering, f"{route.path} ({area}) reaches no route of {by_area[area]}"
    for area in NOT_IN_HTTP_API:
        assert area not in by_area


def test_embedding_queue_has_its_dead_letter_queue_and_partial_failures(
    cfn: dict[str, Any], source: dict[str, Any]
) -> None:
    queue = cfn["Resources"]["EmbeddingQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["EmbeddingDeadLetterQueue", "Arn"]
    }
    assert queue["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}
    worker = source["Resources"]["EmbedWorkerFunction"]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * worker["Timeout"]
    (mapping,) = _resources(cfn, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["FunctionName"] == {"Ref": "EmbedWorkerFunction"}
    # a message gives up embedding exactly when its job is dead-lettered
    globals_env = source["Globals"]["Function"]["Environment"]["Variables"]
    assert globals_env["MEMORY_EMBEDDING_MAX_ATTEMPTS"] == {"Ref": "MaxReceiveCount"}


def test_only_the_functions_that_store_messages_may_send_to_the_queue(
    cfn: dict[str, Any],
) -> None:
    senders = set()
    for name, role in _resources(cfn, "AWS::IAM::Role").items():
        if "sqs:SendMessage" in str(role["Properties"].get("Policies", [])):
            senders.add(name)
    assert senders == {"MessagesFunctionRole", "TransferFunctionRole"}


def test_alarms_cover_the_dead_letter_queue_and_every_function(
    cfn: dict[str, Any], code_dirs: dict[str, str]
) -> None:
    alarms = _resources(cfn, "AWS::CloudWatch::Alarm").values()
    watched = {
        (a["Properties"]["MetricName"], str(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms
    }
    dlq = str({"Fn::GetAtt": ["EmbeddingDeadLetterQueue", "QueueName"]})
    assert ("ApproximateNumberOfMessagesVisible", dlq) in watched
    for name in code_dirs:
        for metric in ("Errors", "Throttles"):
            assert (metric, str({"Ref": name})) in watched, f"no {metric} alarm for {name}"
    assert _resources(cfn, "AWS::CloudWatch::Dashboard")


def test_websocket_api_has_the_routes_the_function_dispatches(cfn: dict[str, Any]) -> None:
    routes = {
        r["Properties"]["RouteKey"] for r in _resources(cfn, "AWS::ApiGatewayV2::Route").values()
    }
    assert routes == {"$connect", "$disconnect", "$default", "search", "subscribe"}


def test_migrations_run_at_deploy_through_the_migrate_function(cfn: dict[str, Any]) -> None:
    migration = cfn["Resources"]["DatabaseMigration"]
    assert migration["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["MigrateFunction", "Arn"]}
    assert "DatabaseInstance" in migration["DependsOn"]


def test_outputs_name_the_api_urls(cfn: dict[str, Any]) -> None:
    assert {"HttpApiUrl", "WebSocketUrl", "EmbeddingDeadLetterQueueUrl"} <= set(cfn["Outputs"])


@pytest.mark.parametrize("area", ["messages", "memory", "embed_worker"])
def test_functions_import_without_the_local_model(area: str) -> None:
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', 'functions/{area}/app.py')\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(sorted(m for m in ('onnxruntime', 'tokenizers', 'pgserver') if m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    env |= {"MEMORY_EMBEDDING_PROVIDER": "bedrock", "MEMORY_EMBEDDING_DIMENSIONS": "1024"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
