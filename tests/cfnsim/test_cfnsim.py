# SPDX-License-Identifier: Apache-2.0
"""Tests of the simulator itself (intrinsics, parameters, ordering, custom resources through
the Runtime API with a stand-in handler, rollback, deletion, peering acceptance), against
awsenv. vpcpeer's own handler is exercised by test_stacks.py."""

import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "awsenv"))
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

import cfnsim  # noqa: E402
from harness import OnAwsEnv  # noqa: E402

ROLE = """
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      Code: {S3Bucket: b, S3Key: k}
      Role: !GetAtt Role.Arn
      Timeout: 20
"""


def tpl(body, params=""):
    return cfnsim.load_template(textwrap.dedent("""
        AWSTemplateFormatVersion: "2010-09-09"
        """) + (("Parameters:\n" + params) if params else "") + "Resources:\n" + ROLE + body)


class SimCase(OnAwsEnv, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="cfnsim-test.")
        cls.bootstrap = os.path.join(cls.tmp, "fake-bootstrap")
        with open(cls.bootstrap, "w") as f:
            f.write(f"#!/bin/sh\nexec {sys.executable} -B {os.path.join(HERE, 'fake_handler.py')}\n")
        os.chmod(cls.bootstrap, stat.S_IRWXU)

    def setUp(self):
        super().setUp()
        self.log = os.path.join(self.tmp, f"{self._testMethodName}.events")
        marks = tempfile.mkdtemp(dir=self.tmp)
        self.sim = cfnsim.Simulator(cfnsim.Aws.of(self.env), lambda_code=self.bootstrap,
                                    service_timeout_cap=8, lambda_retry_delays=(0.1, 0.1),
                                    lambda_env={"FAKE_HANDLER_LOG": self.log,
                                                "FAKE_HANDLER_MARKS": marks})
        self.addCleanup(self.sim.close)
        self.ec2 = self.env.client("ec2", "client-b")

    def create(self, template, name="s1", account="client-b", **kw):
        kw.setdefault("capabilities", ["CAPABILITY_IAM"])
        return self.sim.create_stack(name, template, account, **kw)

    def handler_events(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def vpcs(self):
        return [v for v in self.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]]

    def statuses(self, st, logical):
        return [e["ResourceStatus"] for e in st.events if e["LogicalResourceId"] == logical]


class Intrinsics(SimCase):
    def test_functions_and_pseudo_parameters(self):
        t = tpl("""
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Ref Cidr
      Tags:
        - {Key: Name, Value: !Sub "${AWS::StackName}-${Env}"}
        - !If [IsProd, {Key: Prod, Value: "yes"}, !Ref AWS::NoValue]
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Or [!Equals [a, a], !Equals [a, b]]]
Mappings:
  M: {k1: {k2: mapped}}
Outputs:
  Sub1: {Value: !Sub "${Vpc}/${Vpc.CidrBlock}/${AWS::Region}/${AWS::AccountId}/${AWS::Partition}/${!Literal}"}
  Sub2: {Value: !Sub ["${a}-${b}", {a: !Ref Env, b: !Select [1, [x, y, z]]}]}
  Join: {Value: !Join [",", [!Ref Env, !Select [0, !GetAZs ""], !Select ["1", !GetAZs ""]]]}
  B64: {Value: !Base64 "hello"}
  If: {Value: !If [IsProd, p, np]}
  Cond: {Value: !If [Both, both, notboth]}
  Split: {Value: !Select [2, !Split ["-", a-b-c]]}
  Map: {Value: !FindInMap [M, k1, k2]}
  Stack: {Value: !Ref AWS::StackId}
  Role: {Value: !GetAtt Role.Arn}
  Only: {Value: x, Condition: IsProd}
""", params="""
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Cidr: {Type: String, Default: 10.9.0.0/16, AllowedPattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$'}
""")
        st = self.create(t)
        self.assertEqual(st.status, "CREATE_COMPLETE", st.events)
        vpc = st.resources["Vpc"]["PhysicalResourceId"]
        o = st.outputs
        self.assertEqual(o["Sub1"], f"{vpc}/10.9.0.0/16/us-east-1/222222222222/aws/${{Literal}}")
        self.assertEqual(o["Sub2"], "dev-y")
        self.assertEqual(o["Join"], "dev,us-east-1a,us-east-1b")
        self.assertEqual(o["B64"], "aGVsbG8=")
        self.assertEqual(o["If"], "np")
        self.assertEqual(o["Cond"], "both")
        self.assertEqual(o["Split"], "c")
        self.assertEqual(o["Map"], "mapped")
        self.assertRegex(o["Stack"], r"^arn:aws:cloudformation:us-east-1:222222222222:stack/s1/")
        self.assertRegex(o["Role"], r"^arn:aws:iam::222222222222:role/s1-Role-")
        self.assertNotIn("Only", o)
        tags = {t["Key"]: t["Value"] for t in self.vpcs()[0]["Tags"]}
        self.assertEqual(tags["Name"], "s1-dev")
        self.assertNotIn("Prod", tags)                  # AWS::NoValue removed the list item
        self.assertEqual(tags["aws:cloudformation:logical-id"], "Vpc")
        self.assertEqual(st.delete().status, "DELETE_COMPLETE")
        self.assertEqual(self.vpcs(), [])

    def test_parameters_checked(self):
        t = tpl("", params="""
  Env: {Type: String, AllowedValues: [dev, prod]}
  Url: {Type: String, Default: "http://x", AllowedPattern: '^https?://[^\\s/]+(/.*)?$'}
""")
        with self.assertRaisesRegex(cfnsim.ValidationError, "must have values"):
            self.create(t)
        with self.assertRaisesRegex(cfnsim.ValidationError, "AllowedValues"):
            self.create(t, parameters={"Env": "test"})
        with self.assertRaisesRegex(cfnsim.ValidationError, "pattern"):
            self.create(t, parameters={"Env": "dev", "Url": "ftp://x"})
        with self.assertRaisesRegex(cfnsim.ValidationError, "do not exist"):
            self.create(t, parameters={"Env": "dev", "Nope": "1"})
        with self.assertRaisesRegex(cfnsim.ValidationError, "CAPABILITY_IAM"):
            self.create(t, parameters={"Env": "dev"}, capabilities=[])
        self.assertEqual(self.env.client("iam", "client-b").list_roles()["Roles"], [])

    def test_unsupported_is_refused_before_anything_is_created(self):
        cases = {
            "resource type": "  Q:\n    Type: AWS::SQS::Queue\n",
            "intrinsic": "  V:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: !Cidr [10.0.0.0/8, 1, 8]\n",
            "property": "  V:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.1.0.0/16\n      Ipv4IpamPoolId: x\n",
        }
        for what, body in cases.items():
            with self.subTest(what), self.assertRaises(cfnsim.Unsupported):
                self.create(tpl(body))
        with self.assertRaisesRegex(cfnsim.ValidationError, "Unresolved"):
            self.create(tpl("  V:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: !Ref Nope\n"))
        self.assertEqual(self.vpcs(), [])
        self.assertEqual(self.env.client("iam", "client-b").list_roles()["Roles"], [])

    def test_iam_policy_on_a_role(self):
        body = ("  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
                "        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n"
                "            Principal: {Service: lambda.amazonaws.com}\n            Action: sts:AssumeRole\n"
                "  P:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: p1\n"
                "      Roles: [!Ref R]\n      PolicyDocument:\n        Version: '2012-10-17'\n"
                "        Statement:\n          - Effect: Allow\n            Action: ec2:DescribeVpcs\n"
                "            Resource: '*'\n")
        iam = self.env.client("iam", "client-b")
        st = self.create(tpl(body))
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        role = st.resources["R"]["PhysicalResourceId"]
        self.assertEqual(iam.list_role_policies(RoleName=role)["PolicyNames"], ["p1"])
        doc = iam.get_role_policy(RoleName=role, PolicyName="p1")["PolicyDocument"]
        self.assertEqual(doc["Statement"][0]["Action"], "ec2:DescribeVpcs")
        self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE")
        self.assertEqual(iam.list_roles()["Roles"], [])
        # Users and Groups are not modelled: refused before anything exists
        with self.assertRaises(cfnsim.Unsupported):
            self.create(tpl(body.replace("      Roles: [!Ref R]\n", "      Users: [u]\n")),
                        name="s2")
        self.assertEqual(iam.list_roles()["Roles"], [])

    def test_order_and_cycles(self):
        t = tpl("""
  Rt:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  Igw:
    Type: AWS::EC2::InternetGateway
    DependsOn: Rt
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.1.0.0/16}
""")
        st = self.create(t)
        self.assertEqual(st.status, "CREATE_COMPLETE")
        created = [e["LogicalResourceId"] for e in st.events if e["ResourceStatus"] == "CREATE_COMPLETE"
                   and e["ResourceType"] != "AWS::CloudFormation::Stack"]
        self.assertLess(created.index("Vpc"), created.index("Rt"))
        self.assertLess(created.index("Rt"), created.index("Igw"))
        st.delete()
        deleted = [e["LogicalResourceId"] for e in st.events if e["ResourceStatus"] == "DELETE_COMPLETE"
                   and e["ResourceType"] != "AWS::CloudFormation::Stack"]
        self.assertEqual(deleted, list(reversed(created)))
        cyc = tpl("""
  A:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: !GetAtt B.CidrBlock}
  B:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: !Sub "${A.CidrBlock}"}
""")
        with self.assertRaisesRegex(cfnsim.ValidationError, "Circular"):
            self.create(cyc, name="s2")


CUSTOM = """
  Custom:
    Type: Custom::Thing
    Properties:
      ServiceToken: !GetAtt Fn.Arn
      ServiceTimeout: 30
      Behaviour: {behaviour}
      Flag: true
      Count: 3
      List: [1, two]
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.2.0.0/16
      Tags: [{{Key: Answer, Value: !GetAtt Custom.Answer}}]
  After:
    Type: Custom::After
    DependsOn: Vpc
    Properties:
      ServiceToken: !GetAtt Fn.Arn
      Behaviour: {after}
"""


class CustomResources(SimCase):
    def deploy(self, behaviour="ok", after="ok", **kw):
        return self.create(tpl(CUSTOM.format(behaviour=behaviour, after=after)), **kw)

    def test_create_and_delete(self):
        st = self.deploy()
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        evs = self.handler_events()
        self.assertEqual([e["event"]["RequestType"] for e in evs], ["Create", "Create"])
        ev = evs[0]["event"]
        self.assertEqual(ev["ResourceType"], "Custom::Thing")
        self.assertEqual(ev["LogicalResourceId"], "Custom")
        # CloudFormation passes scalars as strings
        self.assertEqual(ev["ResourceProperties"]["Flag"], "true")
        self.assertEqual(ev["ResourceProperties"]["Count"], "3")
        self.assertEqual(ev["ResourceProperties"]["List"], ["1", "two"])
        self.assertEqual(ev["ResourceProperties"]["ServiceTimeout"], "30")
        self.assertTrue(ev["ResponseURL"].startswith("http://127.0.0.1:"))
        self.assertIn("%7CCustom%7C", ev["ResponseURL"])
        self.assertNotIn("PhysicalResourceId", ev)
        self.assertEqual(evs[0]["arn"], ev["ServiceToken"])
        self.assertEqual(evs[0]["env"]["AWS_REGION"], "us-east-1")
        self.assertTrue(evs[0]["env"]["AWS_SESSION_TOKEN"])          # temporary credentials
        tags = {t["Key"]: t["Value"] for t in self.vpcs()[0]["Tags"]}
        self.assertEqual(tags["Answer"], "42")                         # Fn::GetAtt of Data
        phys = st.resources["Custom"]["PhysicalResourceId"]
        self.assertEqual(st.delete().status, "DELETE_COMPLETE")
        dels = [e["event"] for e in self.handler_events()[2:]]
        self.assertEqual([(d["RequestType"], d["LogicalResourceId"]) for d in dels],
                         [("Delete", "After"), ("Delete", "Custom")])
        self.assertEqual(dels[1]["PhysicalResourceId"], phys)
        self.assertEqual(self.vpcs(), [])
        roles = [r["RoleName"] for r in self.env.client("iam", "client-b").list_roles()["Roles"]]
        self.assertEqual(roles, [], "the role and the Lambda stand-in role are gone")

    def test_failure_rolls_back_with_delete_events(self):
        st = self.deploy(after="fail")
        self.assertEqual(st.status, "ROLLBACK_COMPLETE")
        self.assertIn("After was told to fail", st.status_reason)
        self.assertEqual(self.statuses(st, "After"),
                         ["CREATE_IN_PROGRESS", "CREATE_FAILED", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"])
        evs = [e["event"] for e in self.handler_events()]
        self.assertEqual([(e["RequestType"], e["LogicalResourceId"]) for e in evs],
                         [("Create", "Custom"), ("Create", "After"), ("Delete", "After"),
                          ("Delete", "Custom")])
        self.assertEqual(evs[2]["PhysicalResourceId"], "failed-After")   # the failed answer's id
        self.assertEqual(self.vpcs(), [])
        self.assertEqual(st.resources, {})

    def test_delete_failure_is_reported(self):
        st = self.deploy(after="ok")
        self.assertEqual(st.status, "CREATE_COMPLETE")
        st.resources["After"]["Properties"]["DeleteBehaviour"] = "fail"
        self.assertEqual(st.delete().status, "DELETE_FAILED")
        self.assertIn("After", st.resources)
        self.assertNotIn("Custom", st.resources)

    def test_lambda_crash_and_error_are_retried(self):
        for b in ("crash-once", "error-once"):
            with self.subTest(b):
                st = self.deploy(behaviour=b, name=f"s-{b}")
                self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
                outs = [i.outcome for i in self.sim.invocations()
                        if i.event["LogicalResourceId"] == "Custom" and i.event["StackId"] == st.id]
                self.assertEqual(outs, ["exit" if b == "crash-once" else "error", "response"])
                st.delete()

    def test_answers_s3_or_cloudformation_refuse(self):
        st = self.deploy(behaviour="big")
        self.assertEqual(st.status, "ROLLBACK_COMPLETE")
        self.assertIn("Response object is too long", st.status_reason)
        st = self.deploy(behaviour="content-type", name="s2")
        self.assertEqual(st.status, "ROLLBACK_COMPLETE")
        self.assertIn("did not receive a response", st.status_reason)
        refused = [p for p in self.sim.bucket.puts if p["status"] == 403]
        self.assertTrue(refused, self.sim.bucket.puts)
        self.assertEqual(self.vpcs(), [])

    def test_runtime_api_refuses_a_wrong_request_id(self):
        st = self.deploy(behaviour="bad-id")
        self.assertEqual(st.status, "CREATE_COMPLETE")
        echo = json.loads(st.resources["Custom"]["Attributes"]["Echo"])
        self.assertEqual(echo["BadIdStatus"], "400")
        st.delete()


PEERING = """
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.4.0/22}
  Peering:
    Type: AWS::EC2::VPCPeeringConnection
    Properties:
      VpcId: !Ref Vpc
      PeerVpcId: !Ref PeerVpc
      PeerOwnerId: "111111111111"
      PeerRegion: us-east-1
      PeerRoleArn: arn:aws:iam::111111111111:role/peer
Outputs:
  Pcx: {Value: !Ref Peering}
"""


class Peering(SimCase):
    def setUp(self):
        super().setUp()
        self.hub_ec2 = self.env.client("ec2", "hub")
        self.hub_iam = self.env.client("iam", "hub")
        self.hub_vpc = self.hub_ec2.create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        self.hub_iam.create_role(RoleName="peer", AssumeRolePolicyDocument=self.trust("111111111111"))
        # what the role may do (awsenv judges its session): accept into the hub VPC, authorized
        # against the peering and the accepter VPC (templates/hub.yaml's peer roles)
        self.hub_iam.put_role_policy(RoleName="peer", PolicyName="accept", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "ec2:AcceptVpcPeeringConnection",
                "Resource": ["arn:aws:ec2:us-east-1:111111111111:vpc-peering-connection/*",
                             f"arn:aws:ec2:us-east-1:111111111111:vpc/{self.hub_vpc}"]}]}))

    @staticmethod
    def trust(*accounts):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
             "Action": "sts:AssumeRole"}]})

    def deploy(self, name="p1"):
        return self.create(tpl(PEERING, params="  PeerVpc: {Type: String}\n"), name=name,
                           parameters={"PeerVpc": self.hub_vpc})

    def pcx_states(self):
        return sorted(p["Status"]["Code"] for p in
                      self.hub_ec2.describe_vpc_peering_connections()["VpcPeeringConnections"])

    def test_accepted_through_the_peer_role(self):
        self.hub_iam.update_assume_role_policy(RoleName="peer",
                                               PolicyDocument=self.trust("111111111111", "222222222222"))
        st = self.deploy()
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        pcx = self.hub_ec2.describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[st.outputs["Pcx"]])["VpcPeeringConnections"][0]
        self.assertEqual(pcx["Status"]["Code"], "active")
        self.assertEqual(pcx["AccepterVpcInfo"]["VpcId"], self.hub_vpc)
        calls = self.env.calls()["calls"]["sts"]["AssumeRole"]
        self.assertEqual(calls["accounts"], {"222222222222": calls["total"]})
        self.assertEqual(st.delete().status, "DELETE_COMPLETE")
        self.assertEqual(self.pcx_states(), ["deleted"])

    def test_refused_without_trust_and_rolled_back(self):
        self.sim.peer_role_timeout = 1.0
        st = self.deploy()
        self.assertEqual(st.status, "ROLLBACK_COMPLETE")
        self.assertIn("AccessDenied", st.status_reason)
        self.assertEqual(self.pcx_states(), ["deleted"])
        self.assertEqual(self.vpcs(), [])

    def test_waits_for_iam_propagation(self):
        # long enough that the stack's first AssumeRole comes before the trust has propagated
        # even on a loaded machine (2 s was not: the deploy's first steps took longer)
        self.sim.peer_role_timeout = 60.0
        self.env.post("/_awsenv/config", {"iam_propagation_delay": 8})
        self.hub_iam.update_assume_role_policy(RoleName="peer",
                                               PolicyDocument=self.trust("111111111111", "222222222222"))
        st = self.deploy()
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        outcomes = self.env.calls()["calls"]["sts"]["AssumeRole"]["outcomes"]
        self.assertGreaterEqual(outcomes.get("AccessDenied", 0), 1, outcomes)
        st.delete()


if __name__ == "__main__":
    unittest.main()
