"""Check the broker's real answers against docs/openapi.yaml (its component schemas, turned
into JSON Schema: OpenAPI 3.0's `nullable` becomes a "null" alternative), and parse the
Prometheus text format."""

import copy
import os
import re

import yaml
import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
OPENAPI = os.path.join(os.path.dirname(os.path.dirname(HERE)), "docs", "openapi.yaml")

_root = None


def _convert(node):
    if isinstance(node, list):
        return [_convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: _convert(v) for k, v in node.items() if k not in ("example", "nullable")}
    return node


def _nullable(node):
    """Rewrite OpenAPI `nullable: true` (recursively) before _convert drops the key."""
    if isinstance(node, list):
        return [_nullable(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items()}
    if out.pop("nullable", False):
        inner = {k: v for k, v in out.items() if k not in ("description",)}
        out = {"anyOf": [inner, {"type": "null"}]}
        if "description" in node:
            out["description"] = node["description"]
    return out


def root():
    global _root
    if _root is None:
        with open(OPENAPI) as f:
            doc = yaml.safe_load(f)
        schemas = _convert(_nullable(copy.deepcopy(doc["components"]["schemas"])))
        _root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                 "components": {"schemas": schemas}}
    return _root


def errors(name, instance):
    schema = dict(root(), **{"$ref": f"#/components/schemas/{name}"})
    v = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in v.iter_errors(instance)]


def check(test, name, instance):
    errs = errors(name, instance)
    test.assertFalse(errs, f"answer does not match docs/openapi.yaml {name}: {errs}\n{instance}")


def namespace(test, ns):
    check(test, "Namespace", ns)
    extra = [k for k in ns if k not in root()["components"]["schemas"]["Namespace"]["properties"]
             and not re.fullmatch(r"Subnet[A-Z]CidrBlock", k)]
    test.assertEqual(extra, [], f"fields not in the contract: {extra}")


def namespace_list(test, doc):
    check(test, "NamespaceList", doc)
    for ns in doc["Namespaces"]:
        namespace(test, ns)


def error(test, doc):
    check(test, "Error", doc)


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """[(name, {label: value}, float)] of the samples; raises ValueError on a bad line."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"not a Prometheus sample line: {line!r}")
        labels = dict(_LABEL.findall(m.group(2) or ""))
        out.append((m.group(1), labels, float(m.group(3))))
    return out
