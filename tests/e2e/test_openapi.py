"""docs/openapi.yaml: valid YAML and valid OpenAPI 3.0, and in agreement with docs/api.md
(the contract): the same routes, the same error codes and statuses, the namespace object's
fields, the request bodies. (The e2e tests also check the broker's real answers against
these schemas: schema_check.py.)"""

import os
import re
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OPENAPI = os.path.join(ROOT, "docs", "openapi.yaml")
API_MD = os.path.join(ROOT, "docs", "api.md")


class OpenApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(OPENAPI) as f:
            cls.doc = yaml.safe_load(f)
        with open(API_MD) as f:
            cls.md = f.read()

    def test_valid_openapi_3(self):
        self.assertTrue(str(self.doc["openapi"]).startswith("3.0"))
        try:
            from openapi_spec_validator import validate
        except ImportError:
            self.skipTest("openapi_spec_validator not installed (structure checked below)")
        validate(self.doc)

    def test_routes_of_api_md(self):
        routes = re.findall(r"^\| `(GET|POST|PUT|DELETE|PATCH) (/[^`? ]*)[^`]*`", self.md, re.M)
        self.assertGreaterEqual(len(routes), 8, routes)
        documented = {(m.lower(), p) for m, p in routes}
        in_openapi = {(m, p) for p, item in self.doc["paths"].items() for m in item
                      if m in ("get", "post", "put", "delete", "patch")}
        self.assertEqual(in_openapi, documented)

    def test_statuses_per_route(self):
        p = self.doc["paths"]
        expect = {
            ("/v1/namespaces", "post"): {"200", "201", "400", "401", "403", "409", "413"},
            ("/v1/namespaces", "get"): {"200", "400", "401", "403"},
            ("/v1/namespaces/{n}", "get"): {"200", "401", "403", "404"},
            ("/v1/namespaces/{n}", "delete"): {"200", "401", "403", "404"},
            ("/v1/namespaces/{n}/confirm", "post"): {"200", "400", "401", "403", "404", "409",
                                                     "413"},
            ("/healthz", "get"): {"200"},
            ("/readyz", "get"): {"200", "503"},
            ("/metrics", "get"): {"200"},
        }
        for (path, method), codes in expect.items():
            got = set(map(str, p[path][method]["responses"]))
            self.assertTrue(codes <= got, f"{method} {path}: missing {codes - got}")
        for path in ("/healthz", "/readyz", "/metrics"):
            self.assertEqual(p[path]["get"].get("security"), [], f"{path} needs no proof")
        self.assertEqual(self.doc["security"], [{"vpcpeerProof": []}])
        ss = self.doc["components"]["securitySchemes"]["vpcpeerProof"]
        self.assertEqual((ss["type"], ss["in"], ss["name"]), ("apiKey", "header", "Authorization"))

    def test_error_codes_of_api_md(self):
        section = self.md.split("## Errors", 1)[1].split("\n## ", 1)[0]
        pairs = re.findall(r"`([a-z_]+)`\s+\((\d{3})", section)
        self.assertGreaterEqual(len(pairs), 12, pairs)
        enum = self.doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"][
            "code"]["enum"]
        self.assertEqual(sorted(enum), sorted(c for c, _ in pairs))
        responses = self.doc["components"]["responses"]
        by_status = {"400": "Invalid", "401": "Unauthenticated", "403": "Forbidden",
                     "404": "NotFound", "405": "MethodNotAllowed", "409": "Conflict",
                     "413": "TooLarge", "429": "RateLimited", "500": "Internal", "502": "Aws",
                     "503": "Unavailable"}
        for code, status in pairs:
            self.assertIn(f"`{code}`", responses[by_status[status]]["description"],
                          f"{code} ({status}) described under {by_status[status]}")
        self.assertIn("Allow", responses["MethodNotAllowed"]["headers"])
        self.assertIn("Retry-After", responses["RateLimited"]["headers"])
        self.assertIn("Retry-After", responses["Unavailable"]["headers"])

    def test_namespace_object_fields(self):
        block = self.md.split("## Namespace object", 1)[1].split("\n## ", 1)[0]
        fields = set(re.findall(r'"([A-Z][A-Za-z]+)":', block)) | {
            "SubnetBCidrBlock", "SubnetCCidrBlock"}     # elided by "..." in api.md
        ns = self.doc["components"]["schemas"]["Namespace"]
        self.assertEqual(set(ns["properties"]), fields)
        self.assertTrue(set(ns["required"]) <= fields)
        for f in ("VpcId", "VpcPeeringConnectionId", "ExpiresAt", "ReleasedAt"):
            self.assertTrue(ns["properties"][f].get("nullable"), f"{f} may be null")
            self.assertIn(f, ns["required"])
        states = re.findall(r"`(pending|active|failed|releasing|released)`", block)
        self.assertEqual(self.doc["components"]["schemas"]["State"]["enum"],
                         list(dict.fromkeys(states)))

    def test_request_bodies(self):
        s = self.doc["components"]["schemas"]
        reg, conf = s["RegisterRequest"], s["ConfirmRequest"]
        self.assertIs(reg["additionalProperties"], False, "unknown fields are 400")
        self.assertIs(conf["additionalProperties"], False)
        self.assertEqual(set(reg["properties"]), {"client_ref", "labels", "region"})
        self.assertEqual(reg["required"], ["client_ref"])
        # a peering or (a transit-gateway hub, issue 16) an attachment, and the VPC
        self.assertEqual(set(conf["required"]), {"vpc_id"})
        self.assertEqual(set(conf["properties"]), {"vpc_peering_connection_id",
                                                   "transit_gateway_attachment_id", "vpc_id"})
        n = self.doc["components"]["parameters"]["n"]
        self.assertEqual((n["in"], n["required"], n["schema"]["type"]), ("path", True, "integer"))
        listing = {q["name"] for q in self.doc["paths"]["/v1/namespaces"]["get"]["parameters"]}
        self.assertEqual(listing, {"state", "account", "cursor", "limit"})
        self.assertIn("16 KiB", self.doc["info"]["description"])

    def test_examples_match_their_schemas(self):
        import schema_check
        for name in ("Namespace", "Error"):
            ex = self.doc["components"]["schemas"][name]["example"]
            self.assertEqual(schema_check.errors(name, ex), [], name)


if __name__ == "__main__":
    unittest.main()
