"""The Lambda layer as AWS receives it: `sam build` makes it from the lock, and every
function's handler is imported and invoked in its own python3.12 process whose import
path holds only the built layer, that function's built code and boto3 (the runtime's).

Each handler gets its sample event from ``tests/events/`` and the environment the template
gives it. Secrets come from a real Secrets Manager endpoint (moto server on 127.0.0.1);
the database and Redis they name refuse connections. So each invocation must get past
import and settings and then fail the way an unreachable datastore fails (503
``datastore_unavailable``, a failed SQS batch, a FAILED answer to CloudFormation): never
``ModuleNotFoundError``, never a settings error, never an unhandled 500.

X-Ray is off in the probe (``POWERTOOLS_TRACE_DISABLED``): there is no X-Ray daemon here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.infra.lambda_support import MotoEndpoint, moto_endpoint
from tests.infra.test_template import SAM_ENV, _python312, _sam_template

__all__ = ["moto_endpoint"]

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"

# every function of the template, and the sample event it is invoked with
FUNCTION_EVENTS = {
    "AuthFunction": "http_auth_login.json",
    "MessagesFunction": "http_messages_post.json",
    "MemoryFunction": "http_memory_search.json",
    "ConversationsFunction": "http_conversations_list.json",
    "AdminFunction": "http_admin_health.json",
    "AnalyticsFunction": "http_analytics_usage.json",
    "TransferFunction": "http_export.json",
    "EmbedWorkerFunction": "sqs_receive_message.json",
    "SweeperFunction": "events_scheduled.json",
    "RetentionFunction": "events_scheduled.json",
    "WebSocketFunction": "websocket_connect.json",
    "MigrateFunction": "cloudformation_create_request.json",
    "PusherFunction": "sqs_live_event.json",
}
# HTTP functions whose requests never make a vector (async mode): their cold start,
# import and first invocation, loads neither numpy nor the embedding provider's client
NO_VECTORS = {
    "AuthFunction",
    "MessagesFunction",
    "ConversationsFunction",
    "AdminFunction",
    "AnalyticsFunction",
    "TransferFunction",
}
# modules that must never load in a function: the local model, the embedded database,
# the local server, and the local server's metrics backend
LOCAL_ONLY = ("onnxruntime", "tokenizers", "pgserver", "uvicorn", "prometheus_client")

PROBE = r"""
import json, sys, traceback
LOCAL_ONLY = json.loads(sys.argv[5])
function_dir, layer, boto, event_path = sys.argv[1:5]
sys.path[:0] = [function_dir, layer, boto]
out = {"stage": "import"}
try:
    import app
    out["stage"] = "invoke"

    class Context:
        function_name = "probe"
        function_version = "$LATEST"
        memory_limit_in_mb = 1024
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probe"
        aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
        log_group_name = "/aws/lambda/probe"
        log_stream_name = "probe"

        def get_remaining_time_in_millis(self):
            return 30000

    with open(event_path) as f:
        event = json.load(f)
    out["result"] = app.lambda_handler(event, Context())
    out["stage"] = "done"
except BaseException as exc:
    out["error"] = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    out["traceback"] = traceback.format_exc()[-3000:]
out["outside"] = sorted(
    name for name, module in sys.modules.items()
    if "." not in name and getattr(module, "__file__", None)
    and not any(str(getattr(module, "__file__")).startswith(p) for p in (function_dir, layer, boto))
    and "/lib/python3.12/" not in str(getattr(module, "__file__"))
)
out["local_only"] = sorted(m for m in LOCAL_ONLY if m in sys.modules)
out["numpy"] = "numpy" in sys.modules
print("PROBE-RESULT " + json.dumps(out, default=str))
"""

pytestmark = [
    pytest.mark.skipif(not _python312(), reason="sam build needs python3.12 on PATH"),
    pytest.mark.timeout(1200),  # the module's first test runs `sam build` (pip installs)
]


def _free_port() -> int:
    """A port nothing listens on: connections to it are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def built(sam_build: Path) -> Path:
    """`sam build` of the whole template, from the locked layer requirements (one for the
    whole run: the cold-start benchmark's smoke tests measure the same build)."""
    return sam_build


@pytest.fixture(scope="module")
def boto_dir(runtime_boto3: Path) -> Path:
    """boto3 as the python3.12 runtime provides it, at the locked version (no layer copy)."""
    return runtime_boto3


class _CloudFormationEndpoint:
    """Stands in for the pre-signed S3 URL a custom resource must answer (PUT)."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        answers = self.answers

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("content-length", 0))
                answers.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/answer"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def cloudformation() -> Iterator[_CloudFormationEndpoint]:
    endpoint = _CloudFormationEndpoint()
    yield endpoint
    endpoint.stop()


def _function_env(
    source: dict[str, Any], name: str, substitutes: dict[str, str | None]
) -> dict[str, str]:
    """The environment the template gives function ``name``, intrinsics resolved:
    ``!Ref Parameter`` to its default, ``!Ref Resource`` and the rest from
    ``substitutes`` (by resource id, else by variable; None: left out)."""
    params = {k: v.get("Default") for k, v in source["Parameters"].items()}
    variables = dict(source["Globals"]["Function"]["Environment"]["Variables"])
    props = source["Resources"][name]["Properties"]
    variables |= props.get("Environment", {}).get("Variables", {})
    env: dict[str, str] = {}
    for key, value in variables.items():
        ref = value.get("Ref") if isinstance(value, dict) and set(value) == {"Ref"} else None
        if ref in substitutes:
            env[key] = str(substitutes[ref])
        elif key in substitutes:
            if substitutes[key] is not None:
                env[key] = str(substitutes[key])
        elif isinstance(value, str | int | float):
            env[key] = str(value)
        elif isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in params:
            env[key] = str(params[value["Ref"]])
        else:
            raise AssertionError(f"{name}: {key}={value!r} needs a local substitute in this test")
    return env


@pytest.fixture(scope="module")
def substitutes(moto_endpoint: MotoEndpoint) -> dict[str, str | None]:
    """Local stand-ins for what the template's intrinsics name in AWS: by resource id
    (the secrets, so each function gets the one the template gives it) or by variable."""
    secrets = moto_endpoint.client("secretsmanager")
    refused = _free_port()

    def database_secret(name: str, username: str) -> str:
        value = {
            "username": username,
            "password": "not-used",
            "host": "127.0.0.1",
            "port": refused,
            "dbname": "memory_mesh",
        }
        arn: str = secrets.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]
        return arn

    master = database_secret("probe-database-master", "memorymesh")
    login = database_secret("probe-database-login", "memory_mesh_service")
    jwt = secrets.create_secret(Name="probe-jwt", SecretString="j" * 48)["ARN"]
    sqs = moto_endpoint.client("sqs")
    queue = sqs.create_queue(QueueName="probe-embedding")["QueueUrl"]
    events = sqs.create_queue(QueueName="probe-events")["QueueUrl"]
    sqs.close()
    secrets.close()
    return {
        "DatabaseSecret": master,  # the migrate function's only
        "AppDatabaseSecret": login,  # every other function's login
        "JwtSecret": jwt,
        "MEMORY_REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",
        "MEMORY_SQS_QUEUE_URL": queue,
        "MEMORY_EVENTS_QUEUE_URL": events,
        "MEMORY_DATABASE_HOST": None,  # RDS Proxy / the cluster: the secret's host here
        "MEMORY_AWS_REGION": "us-east-1",
        "MEMORY_GEMINI_API_KEY_SECRET_ARN": None,  # only with the gemini provider
        "MEMORY_WEBSOCKET_MANAGEMENT_ENDPOINT": f"http://127.0.0.1:{_free_port()}",
    }


def test_every_function_has_a_sample_event() -> None:
    functions = {
        name
        for name, res in _sam_template()["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }
    assert functions == set(FUNCTION_EVENTS)
    for event in FUNCTION_EVENTS.values():
        assert (EVENTS / event).is_file(), event


def test_the_built_layer_holds_the_locked_packages_and_no_local_model(built: Path) -> None:
    layer = built / "CoreLayer" / "python"
    assert (layer / "memory_mesh" / "cloud" / "lambda_runtime.py").is_file()
    locked = {
        line.split("==")[0].lower().replace("-", "_"): line.split("==")[1].split(" ")[0]
        for line in (ROOT / "layers" / "core" / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    }
    installed = {
        p.name.split("-")[0].lower(): p.name.split("-")[1].removesuffix(".dist")
        for p in layer.glob("*.dist-info")
    }
    assert {k: installed.get(k) for k in locked} == locked
    present = {p.name.lower() for p in layer.iterdir()}
    assert not {"onnxruntime", "tokenizers", "pgserver", "uvicorn"} & present
    size = sum(p.stat().st_size for p in layer.rglob("*") if p.is_file())
    assert size < 250 * 1024 * 1024, f"layer is {size / 2**20:.0f} MiB, over Lambda's limit"


@pytest.mark.parametrize("function", sorted(FUNCTION_EVENTS))
def test_the_handler_imports_from_the_layer_alone_and_handles_its_event(
    function: str,
    built: Path,
    boto_dir: Path,
    moto_endpoint: MotoEndpoint,
    substitutes: dict[str, str | None],
    cloudformation: _CloudFormationEndpoint,
    tmp_path: Path,
) -> None:
    event = json.loads((EVENTS / FUNCTION_EVENTS[function]).read_text())
    if "ResponseURL" in event:
        event["ResponseURL"] = cloudformation.url
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    env = {
        "PATH": os.environ["PATH"],
        "PYENV_VERSION": SAM_ENV["PYENV_VERSION"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": moto_endpoint.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "POWERTOOLS_TRACE_DISABLED": "true",
        **_function_env(_sam_template(), function, substitutes),
    }
    result = subprocess.run(
        [
            "python3.12",
            "-I",  # no PYTHONPATH, no user site
            "-S",  # no site-packages: only the paths the probe puts first
            "-c",
            PROBE,
            str(built / function),
            str(built / "CoreLayer" / "python"),
            str(boto_dir),
            str(event_path),
            json.dumps(LOCAL_ONLY),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
        timeout=180,
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("PROBE-RESULT ")]
    assert lines, result.stdout[-3000:] + result.stderr[-3000:]
    out = json.loads(lines[-1].removeprefix("PROBE-RESULT "))
    assert out["stage"] != "import", out.get("traceback")
    assert out["local_only"] == []
    assert out["outside"] == [], "imported from outside the layer, the code and boto3"
    if function in NO_VECTORS:
        assert not out["numpy"], "numpy loaded by a function that makes no vector"
    if function == "MemoryFunction":  # its query vector is an array('f') (issue 14)
        assert not out["numpy"], "numpy loaded by the search function"
    _assert_handled(function, out, cloudformation)


def _assert_handled(function: str, out: dict[str, Any], cfn: _CloudFormationEndpoint) -> None:
    """Past import and settings: the answer is the one an unreachable datastore gives."""
    error = out.get("error") or ""
    assert "ConfigError" not in error and "ValidationError" not in error, out.get("traceback")
    assert "ModuleNotFoundError" not in error and "ImportError" not in error, out
    result = out.get("result")
    if function == "AdminFunction":  # liveness needs no datastore
        assert result["statusCode"] == 200, result
    elif function == "WebSocketFunction":
        assert out["stage"] == "done", out.get("traceback")
        assert result["statusCode"] in (401, 403, 500, 503), result
    elif function.endswith("Function") and "http_" in FUNCTION_EVENTS[function]:
        assert out["stage"] == "done", out.get("traceback")
        assert result["statusCode"] == 503, result
        assert json.loads(result["body"])["code"] == "datastore_unavailable", result
    elif function == "PusherFunction":  # the management API refuses: SQS delivers again
        assert "BatchProcessingError" in error, out.get("traceback")
        assert "PushFailed" in out["traceback"], out.get("traceback")
    elif function == "EmbedWorkerFunction":
        # Powertools raises when every record of a batch failed: Lambda retries the batch
        assert "BatchProcessingError" in error, out.get("traceback")
        assert "the database is unavailable" in out["traceback"], out.get("traceback")
    elif function == "MigrateFunction":
        answer = cfn.answers[-1]
        # past settings and both secrets (master, login role): stopped by the database
        assert answer["Status"] == "FAILED", answer
        assert answer["Reason"].startswith("OperationalError"), answer
    else:  # scheduled: the failure reaches Lambda (and its retry / alarm), typed
        assert error == "memory_mesh.errors.ServiceUnavailable: the database is unavailable", out
