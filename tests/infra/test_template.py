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
    "MEMORY_EMBEDDING_PROVIDER",
    "MEMORY_EMBEDDING_DIMENSIONS",
    "MEMORY_EMBEDDING_MAX_ATTEMPTS",
    "MEMORY_AWS_REGION",
    "MEMORY_REDIS_URL",
    "MEMORY_REDIS_CLUSTER",  # ElastiCache Serverless is cluster mode
}
EXTRA_SETTINGS = {
    "messages": {"MEMORY_SQS_QUEUE_URL", "MEMORY_EMBEDDING_MODE", "MEMORY_EVENTS_QUEUE_URL"},
    "transfer": {"MEMORY_SQS_QUEUE_URL", "MEMORY_EMBEDDING_MODE", "MEMORY_EVENTS_QUEUE_URL"},
    "embed_worker": {"MEMORY_EVENTS_QUEUE_URL"},
    "sweeper": {"MEMORY_EVENTS_QUEUE_URL"},
    "pusher": {"MEMORY_WEBSOCKET_MANAGEMENT_ENDPOINT"},
}
# the functions that sign or verify access tokens: only they read the signing key
TOKEN_AREAS = {
    "auth",
    "messages",
    "memory",
    "conversations",
    "admin",
    "analytics",
    "transfer",
    "websocket",
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
        # the pusher's one setting has no default: where API Gateway's @connections is
        endpoint = {"MEMORY_WEBSOCKET_MANAGEMENT_ENDPOINT": "http://127.0.0.1:9/dev"}
        module = load_function(_area(code_uri), monkeypatch, endpoint)
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
        # declared empty for `sam local --env-vars`; in AWS the URL comes from the secret
        assert variables["MEMORY_DATABASE_URL"] == "", name
        assert variables.get("MEMORY_JWT_SECRET_KEY", "") == "", name


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
    (mapping,) = [
        m
        for m in _resources(cfn, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["EmbeddingQueue", "Arn"]}
    ]
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # the live alias, so CodeDeploy's shift and rollback apply to the queue's consumer too
    assert mapping["Properties"]["FunctionName"] == {"Ref": "EmbedWorkerFunctionAliaslive"}
    # a message gives up embedding exactly when its job is dead-lettered
    globals_env = source["Globals"]["Function"]["Environment"]["Variables"]
    assert globals_env["MEMORY_EMBEDDING_MAX_ATTEMPTS"] == {"Ref": "MaxReceiveCount"}


def _senders(cfn: dict[str, Any], queue: str) -> set[str]:
    """Roles allowed to send to ``queue`` (SAM's SQSSendMessagePolicy names it)."""
    senders = set()
    for name, role in _resources(cfn, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            text = str(policy)
            if "sqs:SendMessage" in text and f"'{queue}', 'QueueName'" in text:
                senders.add(name)
    return senders


def test_only_the_functions_that_store_messages_may_send_to_the_queue(
    cfn: dict[str, Any],
) -> None:
    assert _senders(cfn, "EmbeddingQueue") == {"MessagesFunctionRole", "TransferFunctionRole"}


def test_live_events_go_from_the_writers_through_a_queue_to_the_pusher_outside_the_vpc(
    cfn: dict[str, Any], source: dict[str, Any]
) -> None:
    # the functions whose writes or embeddings publish events, and only they, may send
    assert _senders(cfn, "EventsQueue") == {
        "MessagesFunctionRole",
        "TransferFunctionRole",
        "EmbedWorkerFunctionRole",
        "SweeperFunctionRole",
    }
    functions = _resources(cfn, "AWS::Lambda::Function")
    # the pusher reaches the public @connections API without a NAT gateway: no VPC
    assert "VpcConfig" not in functions["PusherFunction"]["Properties"]
    for name, fn in functions.items():
        if name != "PusherFunction":
            assert fn["Properties"]["VpcConfig"]["SubnetIds"], name
    (mapping,) = [
        m
        for m in _resources(cfn, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["EventsQueue", "Arn"]}
    ]
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = cfn["Resources"]["EventsQueue"]["Properties"]
    pusher = source["Resources"]["PusherFunction"]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * pusher.get("Timeout", 30)
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]
    }
    # dev has no NAT gateway and still gets live events: nothing on the path needs one
    assert source["Parameters"]["EnableNatGateway"]["Default"] == "false"


def test_only_the_pusher_may_post_to_websocket_connections(cfn: dict[str, Any]) -> None:
    allowed = {
        name
        for name, role in _resources(cfn, "AWS::IAM::Role").items()
        if "execute-api:ManageConnections" in str(role["Properties"].get("Policies", []))
    }
    assert allowed == {"PusherFunctionRole"}


def test_only_the_functions_that_sign_or_verify_tokens_read_the_signing_key(
    cfn: dict[str, Any], code_dirs: dict[str, str]
) -> None:
    roles = _resources(cfn, "AWS::IAM::Role")
    for name, fn in _resources(cfn, "AWS::Lambda::Function").items():
        area = _area(code_dirs[name])
        variables = fn["Properties"]["Environment"]["Variables"]
        reads = "{'Ref': 'JwtSecret'}" in str(roles[f"{name}Role"]["Properties"]["Policies"])
        assert reads == (area in TOKEN_AREAS), f"{name} reads the JWT secret: {reads}"
        assert ("MEMORY_JWT_SECRET_KEY_SECRET_ARN" in variables) == (area in TOKEN_AREAS), name
        if area not in TOKEN_AREAS and area != "pusher":
            assert variables["MEMORY_TOKENS"] == "false", name  # starts without the key


def _refs(node: Any) -> set[str]:
    """Every logical id a ``{"Ref": ...}`` inside ``node`` names."""
    if isinstance(node, dict):
        found = {node["Ref"]} if set(node) == {"Ref"} else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_each_function_may_read_only_the_secrets_it_uses(
    cfn: dict[str, Any], source: dict[str, Any], code_dirs: dict[str, str]
) -> None:
    secrets = set(_resources(cfn, "AWS::SecretsManager::Secret"))
    assert secrets == {"DatabaseSecret", "AppDatabaseSecret", "JwtSecret"}
    roles = _resources(cfn, "AWS::IAM::Role")
    for name, fn in _resources(cfn, "AWS::Lambda::Function").items():
        area = _area(code_dirs[name])
        readable = _refs(roles[f"{name}Role"]["Properties"].get("Policies", [])) & secrets
        variables = fn["Properties"]["Environment"]["Variables"]
        if area == "migrate":  # the one master-user login: it owns the schema, makes the role
            expected = {"DatabaseSecret", "AppDatabaseSecret"}
            assert variables["MEMORY_DATABASE_SECRET_ARN"] == {"Ref": "DatabaseSecret"}
            assert variables["MEMORY_DATABASE_LOGIN_SECRET_ARN"] == {"Ref": "AppDatabaseSecret"}
        elif area == "pusher":  # outside the VPC, no database at all
            expected = set()
        else:  # the application's login role, and the signing key where tokens are
            expected = {"AppDatabaseSecret"} | ({"JwtSecret"} if area in TOKEN_AREAS else set())
            assert variables["MEMORY_DATABASE_SECRET_ARN"] == {"Ref": "AppDatabaseSecret"}, name
            assert "MEMORY_DATABASE_LOGIN_SECRET_ARN" not in variables, name
        assert readable == expected, f"{name} may read {readable}, needs {expected}"
    # nothing else in the stack may read the master secret but the proxy (see below)
    readers = {
        name
        for name, role in roles.items()
        if "DatabaseSecret" in _refs(role["Properties"].get("Policies", []))
    }
    assert readers == {"MigrateFunctionRole", "DatabaseProxyRole"}
    # the login secret gets host and port like the master one, before any function runs
    attachments = _resources(cfn, "AWS::SecretsManager::SecretTargetAttachment")
    attached = {a["Properties"]["SecretId"]["Ref"] for a in attachments.values()}
    assert attached == {"DatabaseSecret", "AppDatabaseSecret"}
    migration = source["Resources"]["DatabaseMigration"]
    assert "AppDatabaseSecretAttachment" in migration["DependsOn"]
    assert migration["Properties"]["LoginSecret"] == {"Ref": "AppDatabaseSecret"}


def test_rds_proxy_authenticates_the_application_login(source: dict[str, Any]) -> None:
    proxy = source["Resources"]["DatabaseProxy"]["Properties"]
    auth = [a["SecretArn"] for a in proxy["Auth"]]
    assert auth[0] == {"Ref": "AppDatabaseSecret"}
    # the master login stays only for versions still live during the upgrade's canary
    assert auth[1:] == [{"Ref": "DatabaseSecret"}]
    assert all(a["AuthScheme"] == "SECRETS" for a in proxy["Auth"])
    policy = source["Resources"]["DatabaseProxyRole"]["Properties"]["Policies"]
    assert _refs(policy) == {"AppDatabaseSecret", "DatabaseSecret"}


def test_every_function_logs_json_to_its_own_log_group_with_retention(
    cfn: dict[str, Any], source: dict[str, Any]
) -> None:
    groups = _resources(cfn, "AWS::Logs::LogGroup")
    for name, fn in _resources(cfn, "AWS::Lambda::Function").items():
        logging = fn["Properties"]["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", name
        group = groups[logging["LogGroup"]["Ref"]]["Properties"]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    env = source["Globals"]["Function"]["Environment"]["Variables"]
    assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"  # responses hold content


def test_new_code_goes_live_after_its_migration_and_shifts_with_rollback_alarms(
    cfn: dict[str, Any], source: dict[str, Any]
) -> None:
    migration = cfn["Resources"]["DatabaseMigration"]["Properties"]
    assert 0 < migration["ServiceTimeout"] <= 3600
    assert (
        migration["ServiceTimeout"]
        > source["Resources"]["MigrateFunction"]["Properties"]["Timeout"]
    )
    for name, res in source["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function" or name in (
            "MigrateFunction",
            "PusherFunction",
        ):
            continue
        assert res.get("DependsOn") == "DatabaseMigration", name
    assert source["Globals"]["Function"]["AutoPublishAlias"] == "live"
    groups = _resources(cfn, "AWS::CodeDeploy::DeploymentGroup")
    for name in ("MessagesFunction", "MemoryFunction", "EmbedWorkerFunction", "WebSocketFunction"):
        group = groups[f"{name}DeploymentGroup"]["Properties"]
        alarms = {a["Name"]["Ref"] for a in group["AlarmConfiguration"]["Alarms"]}
        assert f"{name.removesuffix('Function')}ErrorsAlarm" in alarms, name
        assert group["AutoRollbackConfiguration"]["Enabled"] is True
    # the WebSocket API calls the live alias, so it shifts (and rolls back) too
    uri = cfn["Resources"]["WebSocketIntegration"]["Properties"]["IntegrationUri"]
    assert "WebSocketFunctionAliaslive" in str(uri)


def test_the_login_secret_rotates_by_alternating_users_when_asked(source: dict[str, Any]) -> None:
    assert "AWS::SecretsManager-2020-07-23" in source["Transform"]  # HostedRotationLambda
    days = source["Parameters"]["DatabaseRotationDays"]
    assert days["Default"] == 0  # off unless asked (the prod profile asks: below)
    assert source["Conditions"]["RotateAppSecret"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "DatabaseRotationDays"}, 0]}]
    }
    rotation = source["Resources"]["AppDatabaseSecretRotation"]
    assert rotation["Condition"] == "RotateAppSecret"
    # the first rotation runs at once: the login role must exist by then
    assert "DatabaseMigration" in rotation["DependsOn"]
    props = rotation["Properties"]
    assert props["SecretId"] == {"Ref": "AppDatabaseSecret"}
    assert props["RotationRules"] == {"AutomaticallyAfterDays": {"Ref": "DatabaseRotationDays"}}
    hosted = props["HostedRotationLambda"]
    assert hosted["RotationType"] == "PostgreSQLMultiUser"
    assert hosted["MasterSecretArn"] == {"Ref": "DatabaseSecret"}
    # in the functions' network: reaches Aurora and the Secrets Manager endpoint, no NAT
    vpc = source["Resources"]["MigrateFunction"]["Properties"]["VpcConfig"]
    assert [hosted["VpcSecurityGroupIds"]] == vpc["SecurityGroupIds"]
    assert hosted["VpcSubnetIds"] == {"Fn::Join": [",", vpc["SubnetIds"]]}
    # the login secret names its master (the rotation logs in with it to make the second
    # user), and rotated passwords avoid the characters generated ones avoid
    generated = source["Resources"]["AppDatabaseSecret"]["Properties"]["GenerateSecretString"]
    assert '"masterarn": "${DatabaseSecret}"' in generated["SecretStringTemplate"]["Fn::Sub"]
    assert hosted["ExcludeCharacters"] == generated["ExcludeCharacters"]


def test_the_prod_profile_deploys_by_canary_behind_rds_proxy_with_an_alarm_topic() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    overrides = config["prod"]["deploy"]["parameters"]["parameter_overrides"]
    assert 'DeploymentStrategy="Canary10Percent5Minutes"' in overrides
    assert 'EnableDatabaseProxy="true"' in overrides
    assert 'EnableNatGateway="false"' in overrides  # no single-AZ NAT on the live path
    assert 'AlarmTopicArn=""' in overrides  # so the stack makes memory-mesh-prod-alarms
    assert 'DatabaseRotationDays="30"' in overrides


def test_database_proxy_caps_connections_and_the_functions_use_it(
    source: dict[str, Any],
) -> None:
    resources = source["Resources"]
    assert resources["DatabaseProxy"]["Condition"] == "UseProxy"
    pool = resources["DatabaseProxyTargets"]["Properties"]["ConnectionPoolConfigurationInfo"]
    assert 0 < pool["MaxConnectionsPercent"] < 100
    host = source["Globals"]["Function"]["Environment"]["Variables"]["MEMORY_DATABASE_HOST"]
    assert host == {
        "Fn::If": [
            "UseProxy",
            {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]},
            {"Ref": "AWS::NoValue"},
        ]
    }


def test_alarms_cover_queues_api_database_cache_and_every_function(
    cfn: dict[str, Any], code_dirs: dict[str, str]
) -> None:
    alarms = _resources(cfn, "AWS::CloudWatch::Alarm").values()
    watched = {
        (a["Properties"]["MetricName"], str(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms
    }
    dlq = str({"Fn::GetAtt": ["EmbeddingDeadLetterQueue", "QueueName"]})
    assert ("ApproximateNumberOfMessagesVisible", dlq) in watched
    assert ("ApproximateAgeOfOldestMessage", dlq) in watched
    events_dlq = str({"Fn::GetAtt": ["EventsDeadLetterQueue", "QueueName"]})
    assert ("ApproximateNumberOfMessagesVisible", events_dlq) in watched
    api, cluster = str({"Ref": "HttpApi"}), str({"Ref": "DatabaseCluster"})
    assert {("5xx", api), ("Latency", api)} <= watched
    assert {
        ("CPUUtilization", cluster),
        ("DatabaseConnections", cluster),
        ("ACUUtilization", cluster),
    } <= watched
    assert ("ThrottledCmds", str({"Ref": "Cache"})) in watched
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


def test_env_json_sets_only_variables_the_template_declares(source: dict[str, Any]) -> None:
    """`sam local --env-vars env.json` silently ignores a variable the function's template
    environment does not declare: each one env.json sets must be declared there."""
    import json

    env = json.loads((ROOT / "env.json").read_text())
    declared_globally = set(source["Globals"]["Function"]["Environment"]["Variables"])
    for variable in env.pop("Parameters"):
        assert variable in declared_globally | {"MEMORY_DATABASE_HOST"}, variable
    for name, variables in env.items():
        resource = source["Resources"][name]
        assert resource["Type"] == "AWS::Serverless::Function", name
        own = set(resource["Properties"].get("Environment", {}).get("Variables", {}))
        assert set(variables) <= own | declared_globally, f"{name}: {set(variables) - own}"


def test_every_alarm_has_a_runbook_entry(cfn: dict[str, Any]) -> None:
    runbook = (ROOT / "docs" / "RUNBOOK.md").read_text()
    for name in _resources(cfn, "AWS::CloudWatch::Alarm"):
        assert f"`{name}`" in runbook, f"docs/RUNBOOK.md does not explain {name}"
