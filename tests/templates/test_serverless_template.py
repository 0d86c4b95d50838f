# SPDX-License-Identifier: Apache-2.0
"""templates/broker-serverless.yaml (issue 18): the function's role holds exactly the broker
permissions of the hub's BrokerRole (hub.yaml for Attach peering, hub-tgw.yaml for
transit-gateway), statement by statement; every VPCPEER_* variable it sets is a setting of
`vpcpeer serve-lambda`; the API is an HTTP API with payload format 2.0, mapped at the root.

Usage: test_serverless_template.py VPCPEER_BINARY"""
import os
import re
import subprocess
import sys
import unittest

from cfnlint.decode import cfn_yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "..", "..", "templates")
VPCPEER = None


def load(name):
    return cfn_yaml.load(os.path.join(TEMPLATES, name))


def resolve(node, conditions):
    """The template fragment with Fn::If decided by `conditions` and AWS::NoValue dropped."""
    if isinstance(node, dict):
        if list(node) == ["Fn::If"]:
            name, yes, no = node["Fn::If"]
            return resolve(yes if conditions[name] else no, conditions)
        out = {}
        for k, v in node.items():
            v = resolve(v, conditions)
            if v != {"Ref": "AWS::NoValue"}:
                out[k] = v
        return out
    if isinstance(node, list):
        items = [resolve(v, conditions) for v in node]
        return [v for v in items if v != {"Ref": "AWS::NoValue"}]
    return node


def statements(role, policy_name, conditions):
    for policy in role["Properties"]["Policies"]:
        if policy["PolicyName"].startswith(policy_name):
            doc = resolve(policy["PolicyDocument"], conditions)
            return doc["Statement"]
    raise AssertionError(f"no policy {policy_name}")


def shape(stmts):
    """Sid -> (effect, sorted actions, condition operators and keys): what must match."""
    out = {}
    for s in stmts:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        cond = sorted((op, k) for op, kv in s.get("Condition", {}).items() for k in kv)
        out[s.get("Sid")] = (s["Effect"], sorted(actions), cond)
    return out


class ServerlessTemplate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = load("broker-serverless.yaml")
        cls.res = cls.t["Resources"]

    def role_vs_hub(self, hub_file, hub_policy, fn_conditions, hub_conditions):
        hub = load(hub_file)["Resources"]["BrokerRole"]
        want = shape(statements(hub, hub_policy, hub_conditions))
        got = shape(statements(self.res["FunctionRole"], "vpcpeer-broker", fn_conditions))
        self.assertEqual(got, want)

    def test_role_equals_hub_role_peering(self):
        for peer, zone in ((True, True), (False, False), (True, False)):
            with self.subTest(peer_roles=peer, hosted_zone=zone):
                self.role_vs_hub(
                    "hub.yaml", "vpcpeer-broker",
                    {"Peering": True, "TransitGateway": False, "HasPeerRoles": peer,
                     "HasHostedZone": zone},
                    {"HasPeerRoles": peer, "HasHostedZone": zone})

    def test_role_equals_hub_role_transit_gateway(self):
        for zone in (True, False):
            with self.subTest(hosted_zone=zone):
                self.role_vs_hub(
                    "hub-tgw.yaml", "vpcpeer-broker-tgw",
                    {"Peering": False, "TransitGateway": True, "HasPeerRoles": False,
                     "HasHostedZone": zone},
                    {"HasHostedZone": zone})

    def test_function_extras_are_the_functions_own(self):
        stmts = statements(self.res["FunctionRole"], "vpcpeer-function", {})
        self.assertEqual(sorted(s["Sid"] for s in stmts),
                         ["FunctionNetworkInterfaces", "Logs", "RegistrySecret"])
        secret = [s for s in stmts if s["Sid"] == "RegistrySecret"][0]
        self.assertEqual(secret["Action"], "secretsmanager:GetSecretValue")
        self.assertEqual(secret["Resource"], {"Fn::GetAtt": ["Database", "MasterUserSecret.SecretArn"]})

    def test_settings_exist(self):
        help_text = subprocess.run([VPCPEER, "serve-lambda", "--help"], capture_output=True,
                                   text=True, check=True).stdout
        options = set(re.findall(r"--([a-z0-9-]+)", help_text))
        env = self.res["Function"]["Properties"]["Environment"]["Variables"]
        self.assertIn("VPCPEER_REGISTRY_SECRET", env)
        for name in env:
            with self.subTest(variable=name):
                opt = name[len("VPCPEER_"):].lower().replace("_", "-")
                self.assertIn(opt, options, f"{name}: serve-lambda has no --{opt}")

    def test_http_api_payload_2_at_root(self):
        p = self.res["Function"]["Properties"]
        self.assertEqual(p["Runtime"], "provided.al2023")
        self.assertLessEqual(p["Timeout"], 29)
        self.assertIn("ReservedConcurrentExecutions", p)
        self.assertEqual(self.res["Api"]["Properties"]["ProtocolType"], "HTTP")
        self.assertTrue(self.res["Api"]["Properties"]["DisableExecuteApiEndpoint"])
        self.assertEqual(self.res["Integration"]["Properties"]["PayloadFormatVersion"], "2.0")
        self.assertNotIn("ApiMappingKey", self.res["ApiMapping"]["Properties"])
        self.assertEqual(self.res["FunctionVersion"]["Properties"]["CodeSha256"],
                         {"Ref": "FunctionCodeSha256"})
        for name in ("Integration", "ReconcileRule"):
            target = self.res[name]["Properties"]
            uri = target.get("IntegrationUri") or target["Targets"][0]["Arn"]
            self.assertEqual(uri, {"Ref": "FunctionVersion"}, name)


if __name__ == "__main__":
    VPCPEER = sys.argv.pop(1)
    unittest.main()
