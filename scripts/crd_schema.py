"""Turns the openAPIV3Schema of an upstream CustomResourceDefinition into the JSON Schema that
tests/deploy validates our manifests against (deploy/schemas/, see its README for the sources).

    python3 scripts/crd_schema.py CRD.yaml VERSION OUT.json

The API server prunes or rejects fields a CRD does not declare; to catch a misspelt field
offline, every object that declares its properties is closed (`additionalProperties: false`)
unless the CRD keeps unknown fields (`x-kubernetes-preserve-unknown-fields`). OpenAPI's
`nullable` and Kubernetes' int-or-string become JSON Schema types.
"""

import json
import sys

import yaml


def convert(node):
    if isinstance(node, list):
        return [convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: convert(sub) for name, sub in value.items()}
        elif key.startswith("x-kubernetes-") and key != "x-kubernetes-preserve-unknown-fields":
            continue  # validation rules (CEL) and list-map markers the API server applies
        else:
            out[key] = convert(value)
    if out.pop("x-kubernetes-int-or-string", False) or node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    preserve = out.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def schema_of(crd: dict, version: str) -> dict:
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = convert(served["schema"]["openAPIV3Schema"])
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    schema["properties"]["apiVersion"] = {"const": f"{group}/{version}"}
    schema["properties"]["kind"] = {"const": kind}
    schema["properties"]["metadata"] = {"type": "object"}
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"{kind} {group}/{version}", **schema}


def main(source: str, version: str, target: str) -> None:
    with open(source) as definitions:
        crd = next(d for d in yaml.safe_load_all(definitions) if d and d.get("kind") == "CustomResourceDefinition")
    with open(target, "w") as out:
        json.dump(schema_of(crd, version), out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
