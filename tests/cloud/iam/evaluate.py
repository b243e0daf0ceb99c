"""Evaluate recorded AWS requests against a synthesized template with a real IAM evaluator.

Each ``AwsCall`` becomes one or more concrete ``Request``s for one environment: the call itself, the calls AWS
makes with the caller's permissions on its behalf (KMS for SSE-KMS objects, encrypted queues, topics and
secrets; Glue's catalog and database checks behind a table action; the source read of a copy), and S3's
ListBucket check behind the 404 of a missing key. ``evaluate`` sends a whole batch to
``@cloud-copilot/iam-simulate`` (``simulate.mjs``, one Node process per batch) with the principal's identity
policies and the resource's policy (bucket, key, topic, queue, function, secret) from the template.
"""

from __future__ import annotations

import atexit
import json
import re
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.cloud.calls import AwsCall
from tests.cloud.iam.template import ACCOUNT, PARTITION, REGION, URL_SUFFIX, KeyRef, TemplateModel

SIMULATE = Path(__file__).with_name("simulate.mjs")
REPO = Path(__file__).resolve().parents[3]

MISSING_KEY_403 = (
    "S3 would answer 403 AccessDenied, not 404: the caller may not s3:ListBucket the bucket (without s3:prefix)"
)

#: Actions on a Glue table or partition are authorized on the catalog, the database and the table.
_GLUE_TABLE = re.compile(r"^(arn:[^:]+:glue:[^:]+:[^:]+):table/([^/]+)/.+$")
_GLUE_DATABASE = re.compile(r"^(arn:[^:]+:glue:[^:]+:[^:]+):database/[^/]+$")


@dataclass(frozen=True)
class Request:
    """One concrete request of one environment, ready for the evaluator."""

    env: str
    principal: str  # the label: a PRINCIPALS entry, "role:<logical id>" or "service:<name>"
    principal_arn: str  # the assumed-role session ARN, or the service principal's name
    role: str | None  # logical id of the role (None for service principals)
    action: str
    resource: str
    origin: str
    context: dict[str, Any] = field(default_factory=dict)
    #: Why the request exists when the code did not make it directly ("S3 → KMS for SSE-KMS", "404 check").
    because: str = ""
    key: KeyRef | None = None  # the key whose key policy governs a kms: request
    missing_key_check: bool = False

    @property
    def label(self) -> str:
        return f"{self.action} {self.resource}" + (f" ({self.because})" if self.because else "")


@dataclass(frozen=True)
class Outcome:
    request: Request
    decision: str  # Allowed, ImplicitlyDenied, ExplicitlyDenied, Error
    deciding: tuple[str, ...]  # "Sid X of <policy>" / "statement #n of <policy>"
    allowed_by: tuple[tuple[str, int], ...]  # identity (policy name, statement index) that allowed it
    explanation: str

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"


# -- from recorded calls to requests ---------------------------------------------------------------------


def substitute(text: str, values: dict[str, str | None], env: str) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"{env}: unknown placeholder {{{name}}} in {text}")
        value = values[name]
        if value is None:
            raise LookupError(f"{env}: placeholder {{{name}}} has no resource in this environment ({text})")
        return value

    return re.sub(r"\{([a-z_]+)\}", replace, text)


class Principals:
    """Principal labels of one environment → (session ARN, role logical id)."""

    def __init__(self, model: TemplateModel) -> None:
        self.model = model

    def resolve(self, label: str) -> tuple[str, str | None]:
        if label.startswith("service:"):
            return label.removeprefix("service:"), None
        if label.startswith("role:"):
            logical = label.removeprefix("role:")
        else:
            logical = self.model.role_logical(self.model.role_arn_of(label))
        name = self.model.name(logical)
        return f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{name}/iam-test", logical


def requests_for(calls: Iterable[AwsCall], model: TemplateModel) -> list[Request]:
    values = model.placeholders()
    principals = Principals(model)
    requests: list[Request] = []
    for call in calls:
        principal_arn, role = principals.resolve(call.principal)
        resource = substitute(call.resource, values, model.env)
        context = {}
        for name, value in call.context.items():
            try:
                context[name] = _substitute_any(value, values, model.env)
            except LookupError:  # e.g. an SSE header naming {lake_key} where the environment has no such key
                continue
        base = Request(model.env, call.principal, principal_arn, role, call.action, resource, call.origin, context)
        if call.action == "s3:CopyObject":  # not an IAM action: a read of the source and a write of the target
            source = str(context.pop("s3:x-amz-copy-source", ""))
            if not source:
                raise ValueError(f"{call.origin}: s3:CopyObject without s3:x-amz-copy-source in its context")
            source_arn = source if source.startswith("arn:") else f"arn:{PARTITION}:s3:::{source.lstrip('/')}"
            direct = [
                _replace(base, action="s3:GetObject", resource=source_arn, context={}, because="copy source"),
                _replace(base, action="s3:PutObject", context={**context, "s3:x-amz-copy-source": source}),
            ]
        else:
            direct = [base]
        for request in direct:
            requests.extend(expand(request, model, missing=call.missing))
    return requests


def _substitute_any(value: Any, values: dict[str, str | None], env: str) -> Any:
    if isinstance(value, str):
        return substitute(value, values, env)
    if isinstance(value, list):
        return [_substitute_any(v, values, env) for v in value]
    return value


def _replace(request: Request, **changes: Any) -> Request:
    data = {f: getattr(request, f) for f in request.__dataclass_fields__}
    data.update(changes)
    return Request(**data)


def expand(request: Request, model: TemplateModel, *, missing: bool = False) -> list[Request]:
    """The request, Glue's parent-resource checks, the KMS calls made on its behalf, the 404 ListBucket check."""
    out = [request]
    table = _GLUE_TABLE.match(request.resource)
    database = _GLUE_DATABASE.match(request.resource)
    if request.action.startswith("glue:") and table:
        base, db = table.groups()
        out.append(_replace(request, resource=f"{base}:database/{db}", because="Glue checks the database"))
        out.append(_replace(request, resource=f"{base}:catalog", because="Glue checks the catalog"))
    elif request.action.startswith("glue:") and database:
        out.append(_replace(request, resource=f"{database.group(1)}:catalog", because="Glue checks the catalog"))
    out.extend(on_behalf(request, model, missing=missing))
    if missing:
        if not request.resource.startswith(f"arn:{PARTITION}:s3:::") or request.action != "s3:GetObject":
            raise ValueError(f"{request.origin}: missing=True only applies to s3:GetObject/HeadObject, got {request}")
        bucket = request.resource.split(":::", 1)[1].split("/", 1)[0]
        out.append(
            _replace(
                request,
                action="s3:ListBucket",
                resource=f"arn:{PARTITION}:s3:::{bucket}",
                context={},
                because="S3 checks ListBucket before answering 404 for a missing key",
                missing_key_check=True,
            )
        )
    return out


def _kms(request: Request, key: KeyRef, action: str, service: str, context: dict[str, Any], why: str) -> Request:
    ctx: dict[str, Any] = {"kms:ViaService": f"{service}.{REGION}.{URL_SUFFIX}", **context}
    if request.role is not None:
        ctx["kms:CallerAccount"] = ACCOUNT
    else:  # a service principal keeps the source of the request it acts for
        ctx.update({k: v for k, v in request.context.items() if k in {"aws:SourceArn", "aws:SourceAccount"}})
    return _replace(request, action=action, resource=key.arn, context=ctx, because=why, key=key)


#: Recorders name the S3 operation at the end of the origin; these need kms:Decrypt as well (S3 user guide,
#: "Multipart upload and permissions": the requester needs kms:Decrypt and kms:GenerateDataKey).
_MULTIPART = ("CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload")


def on_behalf(request: Request, model: TemplateModel, *, missing: bool) -> list[Request]:
    """KMS calls that S3, Secrets Manager, SQS and SNS make with the caller's permissions."""
    action, resource = request.action, request.resource
    reads, writes = {"s3:GetObject", "s3:GetObjectVersion"}, {"s3:PutObject"}
    if action in reads | writes and "/" in resource.split(":::", 1)[-1] and not missing:
        bucket, _ = resource.split(":::", 1)[1].split("/", 1)
        encryption = model.bucket_encryption(bucket)
        if encryption is None:
            return []
        key, bucket_key = encryption
        named = request.context.get("s3:x-amz-server-side-encryption-aws-kms-key-id")
        if action in writes and named:  # the writer chose the key (a Glue security configuration does)
            key = model.key(named, "s3")
        context = {"kms:EncryptionContext:aws:s3:arn": f"arn:{PARTITION}:s3:::{bucket}" if bucket_key else resource}
        why = f"S3 on behalf of {action} (SSE-KMS)"
        if action in reads:
            return [_kms(request, key, "kms:Decrypt", "s3", context, why)]
        kms = [_kms(request, key, "kms:GenerateDataKey", "s3", context, why)]
        if request.origin.endswith(_MULTIPART):  # S3 decrypts the data key to assemble the parts
            kms.append(_kms(request, key, "kms:Decrypt", "s3", context, why + ", multipart upload"))
        return kms
    if action.startswith("secretsmanager:") and action.split(":")[1] in {
        "GetSecretValue",
        "PutSecretValue",
        "CreateSecret",
    }:
        key = model.encryption_of(resource)
        if key is None:
            return []
        context = {"kms:EncryptionContext:SecretARN": resource}
        why = f"Secrets Manager on behalf of {action}"
        if action == "secretsmanager:GetSecretValue":
            return [_kms(request, key, "kms:Decrypt", "secretsmanager", context, why)]
        return [
            _kms(request, key, "kms:GenerateDataKey", "secretsmanager", context, why),
            _kms(request, key, "kms:Decrypt", "secretsmanager", context, why),
        ]
    if action == "sqs:SendMessage" or action == "sns:Publish":
        key = model.encryption_of(resource)
        if key is None:
            return []
        service, context_key = ("sqs", "aws:sqs:arn") if action == "sqs:SendMessage" else ("sns", "aws:sns:topicArn")
        context = {f"kms:EncryptionContext:{context_key}": resource}
        why = f"{service.upper()} on behalf of {action} (encrypted {'queue' if service == 'sqs' else 'topic'})"
        return [
            _kms(request, key, "kms:GenerateDataKey", service, context, why),
            _kms(request, key, "kms:Decrypt", service, context, why),
        ]
    return []


# -- evaluation ------------------------------------------------------------------------------------------


def _context(request: Request) -> dict[str, Any]:
    context: dict[str, Any] = {"aws:SecureTransport": "true", "aws:CurrentTime": "2026-12-01T04:30:00Z"}
    if request.role is not None:
        context["aws:PrincipalAccount"] = ACCOUNT
        context["aws:PrincipalArn"] = (
            request.principal_arn.replace(":sts::", ":iam::").replace(":assumed-role/", ":role/").rsplit("/", 1)[0]
        )
    context.update(request.context)
    return {k: v if isinstance(v, list) else str(v) for k, v in context.items()}


def simulation(request: Request, model: TemplateModel) -> tuple[dict, str | None, list[str]]:
    """The evaluator's input, the resource policy's name and the identity policies' names."""
    identity = model.identity_policies(request.role) if request.role else []
    if request.key is not None:
        policy_name, policy = request.key.policy_name, request.key.policy
    elif request.action.startswith("kms:"):
        found = model.resource_policy(request.resource)
        if found is None:
            raise ValueError(f"{request.env}: no key policy for {request.resource}")
        policy_name, policy = found
    else:
        found = model.resource_policy(request.resource)
        policy_name, policy = found if found else (None, None)
    body: dict[str, Any] = {
        "request": {
            "principal": request.principal_arn,
            "action": request.action,
            "resource": {"resource": request.resource, "accountId": ACCOUNT},
            "contextVariables": _context(request),
        },
        "identityPolicies": identity,
        "serviceControlPolicies": [],
        "resourceControlPolicies": [],
    }
    if policy is not None:
        body["resourcePolicy"] = policy
    return body, policy_name, [p["name"] for p in identity]


class _Simulator:
    """One ``node simulate.mjs --lines`` process for the session: a batch per line, its results per line."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the process

    def run(self, simulations: Sequence[dict]) -> list[dict]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                ["node", str(SIMULATE), "--lines"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,  # a file, not a pipe: a chatty stderr can never block the process
                text=True,
                cwd=REPO,
            )
            atexit.register(self.close)
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        batch = {"simulations": [{"id": i, "simulation": s} for i, s in enumerate(simulations)]}
        self._process.stdin.write(json.dumps(batch) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            self._stderr.seek(0)
            error = self._stderr.read()
            raise RuntimeError(f"simulate.mjs stopped: {error[-2000:]}")
        return sorted(json.loads(line)["results"], key=lambda r: r["id"])

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=30)
        self._process = None


_SIMULATOR = _Simulator()


def run_simulator(simulations: Sequence[dict]) -> list[dict]:
    """Evaluate a batch with the session's Node process (started on first use)."""
    return _SIMULATOR.run(simulations)


def _statement(entry: dict, resource_policy: str | None) -> str:
    policy = entry.get("policy") if entry["kind"] == "identity" else resource_policy
    where = f"{entry['kind']} policy {policy}"
    return f"Sid {entry['sid']} of {where}" if entry.get("sid") else f"statement #{entry['index']} of {where}"


def unique(requests: Iterable[Request]) -> list[Request]:
    """Requests without exact repeats (a run reads the same state object many times)."""
    seen: dict[str, Request] = {}
    for r in requests:
        key = json.dumps(
            [r.env, r.principal, r.action, r.resource, r.origin, r.context, r.because, r.missing_key_check],
            sort_keys=True,
            default=str,
        )
        seen.setdefault(key, r)
    return list(seen.values())


def evaluate(requests: Sequence[Request], models: dict[str, TemplateModel]) -> list[Outcome]:
    """Every request's decision; a request a recorder could not name (``unknown:``) is never allowed."""
    unknown = [r for r in requests if r.action.startswith("unknown:")]
    known = [r for r in requests if not r.action.startswith("unknown:")]
    outcomes = [
        Outcome(r, "Unmodelled", (), (), "the recorder could not name the IAM action of this request") for r in unknown
    ]
    prepared = [simulation(r, models[r.env]) for r in known]
    # Requests that differ only in their origin evaluate the same: simulate each distinct input once.
    distinct: dict[str, int] = {}
    inputs: list[dict] = []
    for body, _, _ in prepared:
        text = json.dumps(body, sort_keys=True)
        if text not in distinct:
            distinct[text] = len(inputs)
            inputs.append(body)
    evaluated = run_simulator(inputs) if inputs else []
    results = [evaluated[distinct[json.dumps(body, sort_keys=True)]] for body, _, _ in prepared]
    for request, (_, policy_name, _), result in zip(known, prepared, results, strict=True):
        decision = result["decision"]
        deciding = tuple(_statement(e, policy_name) for e in result.get("deciding", []))
        allowed_by = tuple(
            (e["policy"], e["index"])
            for e in result.get("deciding", [])
            if e["kind"] == "identity" and decision == "Allowed"
        )
        if decision == "Allowed":
            explanation = "allowed by " + "; ".join(deciding)
        elif decision == "ExplicitlyDenied":
            explanation = "explicitly denied by " + "; ".join(deciding)
        elif decision == "Error":
            explanation = "the evaluator rejected the request: " + json.dumps(result.get("errors"))[:500]
        elif request.action.startswith("kms:") and result.get("identityResult") == "Allowed":
            explanation = (
                f"an identity policy allows it, but the key policy ({policy_name}) neither allows this principal "
                "nor lets the account's IAM policies grant it"
            )
        elif request.principal.startswith("service:"):
            explanation = f"no statement of the resource policy ({policy_name or 'none'}) allows the service principal"
        else:
            explanation = "no statement allows"
        if request.missing_key_check and decision != "Allowed":
            explanation = f"{MISSING_KEY_403}; {explanation}"
        outcomes.append(Outcome(request, decision, deciding, allowed_by, explanation))
    return outcomes


def denial_table(outcomes: Iterable[Outcome]) -> str:
    """A readable table of every denied request (the test's failure message)."""
    rows = [("environment", "principal (role)", "action", "resource", "origin", "why")]
    for o in outcomes:
        if o.allowed:
            continue
        r = o.request
        who = r.principal + (f" ({r.role})" if r.role else "")
        action = r.action + (f" [{r.because}]" if r.because else "")
        rows.append((r.env, who, action, r.resource, r.origin, o.explanation))
    if len(rows) == 1:
        return ""
    widths = [min(max(len(row[i]) for row in rows), 70) for i in range(5)]
    lines = []
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(5)]
        lines.append(" | ".join(cells) + " | " + row[5])
    lines.insert(1, "-" * min(sum(widths) + 3 * 5 + 20, 250))
    return "\n".join(lines)
