# SPDX-License-Identifier: Apache-2.0
"""Service Catalog (issue 15): templates/catalog.yaml in the hub account,
templates/client-launch-role.yaml in a client account (and the hub), then a **played
launch**: moto has no Service Catalog provisioning, so cfnsim's catalog (servicecatalog.py)
does what ProvisionProduct does and cfnsim deploys the product's template (the client stack,
templates/client.yaml) in the client account as the launch role, judging every call against
that role's policies. The app team's own user may only ProvisionProduct; the real broker and
handler run as in test_stacks.py.

`Catalog` needs only awsenv (AWS's rules for the catalog's resources); `PlayedLaunch` needs
the broker ($VPCPEER_BIN)."""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cfnsim  # noqa: E402
import cfnsim_iam  # noqa: E402
import servicecatalog  # noqa: E402
import test_stacks as ts  # noqa: E402
from harness import OnAwsEnv  # noqa: E402  (tests/awsenv: broker_harness puts it on the path)

ROOT = ts.ROOT
CATALOG = os.path.join(ROOT, "templates", "catalog.yaml")
LAUNCH_ROLE = os.path.join(ROOT, "templates", "client-launch-role.yaml")
TEMPLATE_URL = "https://vpcpeer-templates.s3.amazonaws.com/vpcpeer/client.yaml"
TEMPLATES = {TEMPLATE_URL: ts.CLIENT_TEMPLATE}
CODE_BUCKET = "vpcpeer-handler-code"

# The app team: Service Catalog's end-user actions only, no EC2, IAM or Lambda of its own.
APP_TEAM_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["servicecatalog:ProvisionProduct", "servicecatalog:TerminateProvisionedProduct",
               "servicecatalog:DescribeProduct", "servicecatalog:DescribeProvisionedProduct",
               "servicecatalog:ListLaunchPaths", "servicecatalog:SearchProducts"],
    "Resource": "*"}]}


def deploy_launch_role(sim, who):
    st = sim.create_stack("vpcpeer-client-launch-role", LAUNCH_ROLE, who, parameters={
        "HandlerCodeBucket": CODE_BUCKET, "TemplateBucket": "vpcpeer-templates"},
        capabilities=["CAPABILITY_NAMED_IAM"])
    assert st.status == "CREATE_COMPLETE", st.failure_reasons()
    return st


def deploy_catalog(sim, broker_url, share_with, mode="broker"):
    return sim.create_stack("vpcpeer-catalog", CATALOG, "hub", parameters={
        "ClientTemplateUrl": TEMPLATE_URL, "BrokerUrl": broker_url, "ServerId": ts.bh.SERVER_ID
        if ts.bh else "x", "PeeringAccepter": mode, "ShareWithAccountId": share_with})


def app_team(env, who):
    """The app team's IAM user in WHO: its ARN and policies (for the played launch)."""
    iam = env.client("iam", who)
    arn = iam.create_user(UserName="app-team")["User"]["Arn"]
    iam.put_user_policy(UserName="app-team", PolicyName="service-catalog-end-user",
                        PolicyDocument=json.dumps(APP_TEAM_POLICY))
    return {"arn": arn, "policies": cfnsim_iam.user_policies(iam, "app-team")}


class Catalog(OnAwsEnv, unittest.TestCase):
    """templates/catalog.yaml against the catalog model: what AWS refuses, cfnsim refuses."""

    def setUp(self):
        super().setUp()
        self.sim = cfnsim.Simulator(cfnsim.Aws.of(self.env))
        self.addCleanup(self.sim.close)
        self.b = self.env.accounts["client-b"]["id"]

    def test_catalog_needs_the_launch_role_in_its_own_account(self):
        st = deploy_catalog(self.sim, "https://broker.example.com", self.b)
        self.assertEqual(st.status, "ROLLBACK_COMPLETE")
        self.assertIn("launch role vpcpeer-client-launch does not exist", " ".join(st.failure_reasons()))
        self.assertEqual(self.sim.catalog.portfolios, {})
        self.assertEqual(self.sim.catalog.products, {})

    def test_catalog_deploys_and_deletes(self):
        deploy_launch_role(self.sim, "hub")
        st = deploy_catalog(self.sim, "https://broker.example.com", self.b)
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        cat = self.sim.catalog
        port = cat.portfolios[st.outputs["PortfolioId"]]
        self.assertEqual(port["products"], {st.outputs["ProductId"]})
        self.assertEqual(port["shares"], {self.b})
        kinds = sorted(c["type"] for c in cat.constraints.values())
        self.assertEqual(kinds, ["LAUNCH", "TEMPLATE"])
        launch = [c for c in cat.constraints.values() if c["type"] == "LAUNCH"][0]
        self.assertEqual(launch["params"]["LocalRoleName"], "vpcpeer-client-launch")
        self.assertNotIn("RoleArn", launch["params"])
        self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE")
        self.assertEqual((cat.portfolios, cat.products, cat.constraints), ({}, {}, {}))

    def test_aws_rules(self):
        cat = servicecatalog.Catalog()
        a = self.env.accounts["hub"]["id"]
        port = cat.create_portfolio(a, {"DisplayName": "p", "ProviderName": "hub"})
        prod, _ = cat.create_product(a, {"Name": "n", "Owner": "o", "ProvisioningArtifactParameters": [
            {"Name": "1", "Info": {"LoadTemplateFromURL": TEMPLATE_URL}}]})
        cases = [
            # a constraint before the product is in the portfolio
            (lambda: cat.create_constraint(a, "LAUNCH", {"PortfolioId": port, "ProductId": prod,
                                                         "LocalRoleName": "r"}), "not associated"),
            (lambda: cat.share(a, port, "12345"), "not 12 digits"),
            (lambda: cat.create_portfolio(a, {"DisplayName": "", "ProviderName": "hub"}), "DisplayName"),
            (lambda: cat.create_product(a, {"Name": "n", "Owner": "o"}), "provisioning artifact"),
        ]
        for call, text in cases:
            with self.assertRaises(servicecatalog.ScError) as cm:
                call()
            self.assertIn(text, cm.exception.message)
        cat.associate(a, port, prod)
        with self.assertRaises(servicecatalog.ScError) as cm:     # both, or neither
            cat.create_constraint(a, "LAUNCH", {"PortfolioId": port, "ProductId": prod,
                                                "LocalRoleName": "r", "RoleArn": f"arn:aws:iam::{a}:role/r"})
        self.assertIn("exactly one", cm.exception.message)
        cat.create_constraint(a, "LAUNCH", {"PortfolioId": port, "ProductId": prod, "LocalRoleName": "r"})
        with self.assertRaises(servicecatalog.ScError) as cm:
            cat.create_constraint(a, "LAUNCH", {"PortfolioId": port, "ProductId": prod, "LocalRoleName": "s"})
        self.assertEqual(cm.exception.code, "DuplicateResourceException")
        with self.assertRaises(servicecatalog.ScError) as cm:     # in use
            cat.delete_portfolio(a, port)
        self.assertEqual(cm.exception.code, "ResourceInUseException")


class PolicyEvaluation(unittest.TestCase):
    """cfnsim_iam.decide (awsenv's evaluator on one resource): IAM's order (explicit deny,
    allow, implicit deny), wildcards, and conditions on the request's context."""

    ROLE = "arn:aws:iam::222222222222:role/launch"
    DOC = {"Statement": [
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "arn:aws:iam::222222222222:role/SC-*"},
        {"Effect": "Deny", "Action": "ec2:DescribeVpcs", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::bucket/*"}]}

    def d(self, docs, action, resource, principal=ROLE, region="us-east-1"):
        return cfnsim_iam.decide(docs, action, resource, principal, region)

    def test_decide(self):
        d = self.d
        self.assertEqual(d([self.DOC], "ec2:DescribeSubnets", "*"), "Allow")
        self.assertEqual(d([self.DOC], "EC2:describesubnets", "*"), "Allow")  # actions: any case
        self.assertEqual(d([self.DOC], "ec2:DescribeVpcs", "*"), "ExplicitDeny")
        self.assertEqual(d([self.DOC], "iam:CreateRole", "arn:aws:iam::222222222222:role/SC-x"), "Allow")
        self.assertEqual(d([self.DOC], "iam:CreateRole", "arn:aws:iam::222222222222:role/sc-x"),
                         "ImplicitDeny")                                     # resources: exact case
        self.assertEqual(d([self.DOC], "iam:DeleteRole", "arn:aws:iam::222222222222:role/SC-x"),
                         "ImplicitDeny")
        self.assertEqual(d([self.DOC], "s3:GetObject", "arn:aws:s3:::bucket/k"), "Allow")
        self.assertEqual(d([self.DOC], "iam:GetRole", "arn:aws:s3:::bucket/k"), "ImplicitDeny")
        self.assertEqual(d([], "ec2:DescribeSubnets", "*"), "ImplicitDeny")

    def test_conditions_are_evaluated(self):
        # cfnsim's former evaluator refused every Condition of a matching statement as
        # unsupported; awsenv's evaluates them on the call's context
        doc = {"Statement": [
            {"Effect": "Allow", "Action": ["lambda:InvokeFunction", "s3:GetObject"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceAccount": "222222222222",
                                            "aws:RequestedRegion": "us-east-1"}}},
            {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*",
             "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/launch"}}}]}
        fn = "arn:aws:lambda:us-east-1:222222222222:function:f"
        self.assertEqual(self.d([doc], "lambda:InvokeFunction", fn), "Allow")
        self.assertEqual(self.d([doc], "lambda:InvokeFunction", fn, region="eu-west-1"), "ImplicitDeny")
        self.assertEqual(self.d([doc], "lambda:InvokeFunction",
                                "arn:aws:lambda:us-east-1:333333333333:function:f"), "ImplicitDeny")
        self.assertEqual(self.d([doc], "lambda:InvokeFunction", fn,
                                principal="arn:aws:iam::222222222222:role/other"), "ExplicitDeny")
        # an S3 ARN names no account: a condition on aws:ResourceAccount does not hold
        self.assertEqual(self.d([doc], "s3:GetObject", "arn:aws:s3:::bucket/k"), "ImplicitDeny")
        # what awsenv does not model is refused, not guessed
        odd = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
                             "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}}}
        with self.assertRaises(cfnsim_iam.Unsupported):
            self.d([odd], "s3:GetObject", "*")


@unittest.skipIf(ts.MISSING, ts.MISSING or "")
class PlayedLaunch(ts.StackCase):
    """A played ProvisionProduct of the client product, by an app team without EC2/IAM rights."""

    def setUp(self):
        super().setUp()
        self.broker = self.start_broker()
        self.b = self.env.accounts["client-b"]["id"]
        deploy_launch_role(self.sim, "hub")
        self.catalog = deploy_catalog(self.sim, self.broker.url, self.b)
        self.assertEqual(self.catalog.status, "CREATE_COMPLETE", self.catalog.failure_reasons())
        self.launch_role = deploy_launch_role(self.sim, "client-b")
        self.portfolio = self.catalog.outputs["PortfolioId"]
        self.product = self.catalog.outputs["ProductId"]
        self.sim.catalog.accept_share(self.b, self.portfolio)
        self.team = app_team(self.env, "client-b")
        self.sim.catalog.associate_principal(self.b, self.portfolio, self.team["arn"])

    def provision(self, **params):
        p = {"BrokerUrl": self.broker.url, "ServerId": ts.bh.SERVER_ID,
             "HandlerCodeBucket": CODE_BUCKET, "PeeringAccepter": "broker"}
        p.update(params)
        return self.sim.catalog.provision(self.sim, self.b, self.team, self.portfolio, self.product,
                                          "1.0.0", "team-vpc", p, TEMPLATES)

    def roles(self):
        return sorted(r["RoleName"] for r in self.env.client("iam", "client-b").list_roles()["Roles"])

    def test_app_team_launches_through_the_launch_role(self):
        for action in ("ec2:CreateVpc", "ec2:CreateVpcPeeringConnection", "iam:CreateRole",
                       "iam:PassRole", "lambda:CreateFunction", "cloudformation:CreateStack"):
            self.assertNotEqual(cfnsim_iam.decide(self.team["policies"], action, "*", self.team["arn"],
                                                  self.sim.aws.region), "Allow", action)
        st = self.provision()
        self.assertEqual(st.status, "CREATE_COMPLETE", self.diagnose(st))
        self.assertTrue(st.name.startswith(f"SC-{self.b}-pp-"), st.name)
        ns = self.live(self.broker)
        self.assertEqual(list(ns), [int(st.outputs["NamespaceId"])])
        self.assertEqual(ns[1]["AccountId"], self.b)
        self.assertEqual(ns[1]["State"], "active")
        # the handler's role carries the SC- name the launch role may create; the launch's
        # stand-in session role is gone (the Lambda's stays with its function)
        roles = self.roles()
        self.assertEqual(len([r for r in roles if r.startswith(st.name + "-HandlerRole-")]), 1, roles)
        self.assertEqual([r for r in roles if r.startswith("cfnsim-sc-")], [])
        self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE", self.diagnose(st))
        self.assertEqual(self.live(self.broker), {})
        vpcs, pcx = self.client_state("client-b")
        self.assertEqual((vpcs, pcx), ({}, []))
        self.assertEqual(self.roles(), ["vpcpeer-client-launch"])

    def test_without_the_roles_network_rights_the_launch_fails(self):
        iam = self.env.client("iam", "client-b")
        doc = iam.get_role_policy(RoleName="vpcpeer-client-launch",
                                  PolicyName="launch-vpcpeer-client")["PolicyDocument"]
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "Network"]
        iam.put_role_policy(RoleName="vpcpeer-client-launch", PolicyName="launch-vpcpeer-client",
                            PolicyDocument=json.dumps(doc))
        st = self.provision()
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        why = " ".join(st.failure_reasons())
        # awsenv judges the launch role's session: EC2's UnauthorizedOperation
        self.assertIn("UnauthorizedOperation", why)
        self.assertIn("assumed-role/vpcpeer-client-launch/ServiceCatalogProvisioning is not "
                      "authorized to perform: ec2:CreateVpc", why)
        # the registration made before the VPC was released on rollback
        self.assertEqual(self.live(self.broker), {})
        self.assertEqual(self.client_state("client-b"), ({}, []))
        self.assertEqual(self.roles(), ["vpcpeer-client-launch"])

    def test_template_constraint_pins_the_broker(self):
        with self.assertRaises(servicecatalog.ScError) as cm:
            self.provision(BrokerUrl="https://evil.example.com")
        self.assertIn(f"BrokerUrl must be {self.broker.url}", cm.exception.message)
        with self.assertRaises(servicecatalog.ScError) as cm:
            self.provision(PeeringAccepter="peer-role")
        self.assertIn("PeeringAccepter must be broker", cm.exception.message)
        self.assertEqual(self.live(self.broker), {})

    def test_only_portfolio_principals_with_provision_rights_launch(self):
        iam = self.env.client("iam", "client-b")
        other = iam.create_user(UserName="other-team")["User"]["Arn"]
        with self.assertRaises(servicecatalog.ScError) as cm:
            self.sim.catalog.provision(self.sim, self.b, {"arn": other, "policies": [APP_TEAM_POLICY]},
                                       self.portfolio, self.product, "1.0.0", "x",
                                       {"BrokerUrl": self.broker.url}, TEMPLATES)
        self.assertIn("is not a principal of portfolio", cm.exception.message)
        with self.assertRaises(servicecatalog.ScError) as cm:
            self.sim.catalog.provision(self.sim, self.b, {"arn": self.team["arn"], "policies": []},
                                       self.portfolio, self.product, "1.0.0", "x",
                                       {"BrokerUrl": self.broker.url}, TEMPLATES)
        self.assertEqual(cm.exception.code, "AccessDeniedException")


if __name__ == "__main__":
    unittest.main()
