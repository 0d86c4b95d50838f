# SPDX-License-Identifier: Apache-2.0
"""iam_eval.py: the evaluator against the examples of AWS's documentation (a table), then the
same rules through awsenv with boto3 (assumed roles, each service's refusal)."""

import json
import unittest

import botocore.exceptions

from awsenv_base import HUB, AwsEnvCase, B, trust
from iam_eval import Resources, Unsupported, arn_resource, condition_holds, decide, named_resource

R = "us-east-1"
PCX = f"arn:aws:ec2:{R}:{HUB}:vpc-peering-connection/pcx-1"
HUB_VPC = f"arn:aws:ec2:{R}:{HUB}:vpc/vpc-hub"
B_VPC = f"arn:aws:ec2:{R}:{B}:vpc/vpc-b"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


def deny(action, resource="*", **extra):
    return dict({"Effect": "Deny", "Action": action, "Resource": resource}, **extra)


PCX_KEYS = {"ec2:AccepterVpc": HUB_VPC, "ec2:RequesterVpc": B_VPC}
ACCEPT = [(PCX, PCX_KEYS), (HUB_VPC, {"ec2:VpcID": "vpc-hub"})]

# VPC Peering Guide, "Identity and access management for VPC peering": the accept example
# (the peering whose requester is in account B, and the accepter VPC).
ACCEPT_EXAMPLE = doc(
    allow("ec2:AcceptVpcPeeringConnection", f"arn:aws:ec2:{R}:{HUB}:vpc-peering-connection/*",
          Condition={"ArnEquals": {"ec2:RequesterVpc": f"arn:aws:ec2:{R}:{B}:vpc/*"}}),
    allow("ec2:AcceptVpcPeeringConnection", f"arn:aws:ec2:{R}:{HUB}:vpc/*"))
# The same guide's create examples: a tagged requester VPC; a given accepter VPC.
CREATE_TAGGED = doc(
    allow("ec2:CreateVpcPeeringConnection", f"arn:aws:ec2:{R}:{B}:vpc/*",
          Condition={"StringEquals": {"ec2:ResourceTag/Purpose": "Peering"}}),
    allow("ec2:CreateVpcPeeringConnection", f"arn:aws:ec2:{R}:{B}:vpc-peering-connection/*"))
CREATE_TO_HUB = doc(
    allow("ec2:CreateVpcPeeringConnection", f"arn:aws:ec2:{R}:{B}:vpc/*"),
    allow("ec2:CreateVpcPeeringConnection", f"arn:aws:ec2:{R}:{B}:vpc-peering-connection/*",
          Condition={"ArnEquals": {"ec2:AccepterVpc": HUB_VPC}}))
B_PCX_NEW = f"arn:aws:ec2:{R}:{B}:vpc-peering-connection/*"

CASES = [
    # (name, policies, action, [(resource, keys)], expected)
    ("default deny: no policy", [], "ec2:DescribeVpcs", [("*", {})], "ImplicitDeny"),
    ("allow by exact action", [doc(allow("ec2:DescribeVpcs"))], "ec2:DescribeVpcs",
     [("*", {})], "Allow"),
    ("actions are case-insensitive", [doc(allow("EC2:describevpcs"))], "ec2:DescribeVpcs",
     [("*", {})], "Allow"),
    ("action wildcard Describe*", [doc(allow("ec2:Describe*"))], "ec2:DescribeRouteTables",
     [("*", {})], "Allow"),
    ("action wildcard does not reach CreateRoute", [doc(allow("ec2:Describe*"))],
     "ec2:CreateRoute", [("*", {})], "ImplicitDeny"),
    ("? is one character", [doc(allow("iam:?etRole", "arn:aws:iam::1:role/r?"))],
     "iam:GetRole", [("arn:aws:iam::1:role/r1", {})], "Allow"),
    ("ARNs are case-sensitive", [doc(allow("iam:GetRole", "arn:aws:iam::1:role/R1"))],
     "iam:GetRole", [("arn:aws:iam::1:role/r1", {})], "ImplicitDeny"),
    # Policy evaluation logic: an explicit deny in any policy beats any allow.
    ("explicit deny beats allow", [doc(allow("ec2:*")),
                                   doc(deny("ec2:DeleteVpcPeeringConnection"))],
     "ec2:DeleteVpcPeeringConnection", [(PCX, {})], "ExplicitDeny"),
    ("a deny of another action leaves the allow", [doc(allow("ec2:*"),
                                                       deny("ec2:DeleteVpcPeeringConnection"))],
     "ec2:AcceptVpcPeeringConnection", ACCEPT, "Allow"),
    # IAM JSON policy elements: NotAction ("everything except IAM"), NotResource.
    ("NotAction allows the others", [doc({"Effect": "Allow", "NotAction": "iam:*",
                                          "Resource": "*"})],
     "ec2:DescribeVpcs", [("*", {})], "Allow"),
    ("NotAction does not allow its own", [doc({"Effect": "Allow", "NotAction": "iam:*",
                                               "Resource": "*"})],
     "iam:GetRole", [("arn:aws:iam::1:role/x", {})], "ImplicitDeny"),
    ("Deny with NotAction denies the rest", [doc(allow("*"), {"Effect": "Deny",
                                                               "NotAction": "ec2:Describe*",
                                                               "Resource": "*"})],
     "ec2:CreateRoute", [("*", {})], "ExplicitDeny"),
    ("NotResource", [doc({"Effect": "Allow", "Action": "iam:GetRole",
                          "NotResource": "arn:aws:iam::1:role/admin"})],
     "iam:GetRole", [("arn:aws:iam::1:role/admin", {})], "ImplicitDeny"),
    # The peering guide's accept example: both resources allowed.
    ("accept: the guide's example", [ACCEPT_EXAMPLE], "ec2:AcceptVpcPeeringConnection",
     ACCEPT, "Allow"),
    ("accept: another requester account", [ACCEPT_EXAMPLE], "ec2:AcceptVpcPeeringConnection",
     [(PCX, dict(PCX_KEYS, **{"ec2:RequesterVpc": f"arn:aws:ec2:{R}:333333333333:vpc/v"})),
      ACCEPT[1]], "ImplicitDeny"),
    ("accept: the peering only (issue 22 defect 1)",
     [doc(allow("ec2:AcceptVpcPeeringConnection",
                f"arn:aws:ec2:{R}:{HUB}:vpc-peering-connection/*",
                Condition={"ArnEquals": {"ec2:AccepterVpc": HUB_VPC}}))],
     "ec2:AcceptVpcPeeringConnection", ACCEPT, "ImplicitDeny"),
    ("create: tagged requester VPC", [CREATE_TAGGED], "ec2:CreateVpcPeeringConnection",
     [(B_VPC, {"ec2:ResourceTag/Purpose": "Peering"}), (B_PCX_NEW, PCX_KEYS)], "Allow"),
    ("create: untagged requester VPC", [CREATE_TAGGED], "ec2:CreateVpcPeeringConnection",
     [(B_VPC, {}), (B_PCX_NEW, PCX_KEYS)], "ImplicitDeny"),
    ("create: to the named accepter VPC", [CREATE_TO_HUB], "ec2:CreateVpcPeeringConnection",
     [(B_VPC, {}), (B_PCX_NEW, PCX_KEYS)], "Allow"),
    ("create: to another accepter VPC", [CREATE_TO_HUB], "ec2:CreateVpcPeeringConnection",
     [(B_VPC, {}), (B_PCX_NEW, dict(PCX_KEYS, **{"ec2:AccepterVpc": B_VPC}))],
     "ImplicitDeny"),
    ("ArnLike with a wildcard", [doc(allow("ec2:CreateRoute", Condition={
        "ArnLike": {"ec2:Vpc": f"arn:aws:ec2:*:{HUB}:vpc/*"}}))],
     "ec2:CreateRoute", [("rtb", {"ec2:Vpc": HUB_VPC})], "Allow"),
    ("StringLike", [doc(allow("ec2:CreateTags", Condition={
        "StringLike": {"ec2:ResourceTag/Name": "vpcpeer-*"}}))],
     "ec2:CreateTags", [("x", {"ec2:ResourceTag/Name": "vpcpeer-7"})], "Allow"),
    ("condition keys are case-insensitive", [doc(allow("ec2:CreateRoute", Condition={
        "ArnEquals": {"EC2:VPC": HUB_VPC}}))],
     "ec2:CreateRoute", [("rtb", {"ec2:Vpc": HUB_VPC})], "Allow"),
    ("a missing key fails StringEquals", [doc(allow("ec2:CreateTags", Condition={
        "StringEquals": {"ec2:ResourceTag/Name": "x"}}))],
     "ec2:CreateTags", [("x", {})], "ImplicitDeny"),
    ("a missing key satisfies StringNotEquals", [doc(allow("ec2:CreateTags", Condition={
        "StringNotEquals": {"ec2:ResourceTag/Env": "prod"}}))],
     "ec2:CreateTags", [("x", {})], "Allow"),
    ("StringNotEquals denies the named value", [doc(allow("ec2:CreateTags", Condition={
        "StringNotEquals": {"ec2:ResourceTag/Env": "prod"}}))],
     "ec2:CreateTags", [("x", {"ec2:ResourceTag/Env": "prod"})], "ImplicitDeny"),
    ("IfExists: a missing key passes", [doc(allow("ec2:CreateTags", Condition={
        "StringEqualsIfExists": {"ec2:ResourceTag/Env": "dev"}}))],
     "ec2:CreateTags", [("x", {})], "Allow"),
    ("several values OR", [doc(allow("sts:AssumeRole", Condition={
        "StringEquals": {"aws:PrincipalAccount": ["1", B]}}))],
     "sts:AssumeRole", [("r", {"aws:PrincipalAccount": B})], "Allow"),
    ("several keys AND", [doc(allow("sts:AssumeRole", Condition={
        "StringEquals": {"aws:PrincipalAccount": B, "aws:ResourceAccount": B}}))],
     "sts:AssumeRole", [("r", {"aws:PrincipalAccount": B, "aws:ResourceAccount": HUB})],
     "ImplicitDeny"),
    ("Bool", [doc(deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
                  allow("*"))],
     "ec2:DescribeVpcs", [("*", {"aws:SecureTransport": "false"})], "ExplicitDeny"),
]


class Table(unittest.TestCase):
    def test_documented_examples(self):
        for name, docs, action, resources, want in CASES:
            with self.subTest(name):
                self.assertEqual(decide(docs, action, resources)[0], want, name)

    def test_unknown_operator_refused(self):
        with self.assertRaises(Unsupported):
            condition_holds({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {})

    def test_denied_resource_named(self):
        verdict, arn = decide([doc(allow("ec2:AcceptVpcPeeringConnection", PCX))],
                              "ec2:AcceptVpcPeeringConnection", ACCEPT)
        self.assertEqual((verdict, arn), ("ImplicitDeny", HUB_VPC))


class NamedResources(unittest.TestCase):
    """The resource types of the calls tests/cfnsim judges itself (Service Authorization
    Reference: Lambda's function, CloudFormation's stack, S3's bucket and object), from the
    parameters and through awsenv's table."""

    def test_named_resource(self):
        fn = f"arn:aws:lambda:{R}:{HUB}:function:f"
        for svc, params, want in (
                ("lambda", {"FunctionName": "f"}, fn),
                ("lambda", {"FunctionName": fn}, fn),
                ("cloudformation", {"StackName": "s"}, f"arn:aws:cloudformation:{R}:{HUB}:stack/s/*"),
                ("s3", {"Bucket": "b", "Key": "k/x.yaml"}, "arn:aws:s3:::b/k/x.yaml"),
                ("s3", {"Bucket": "b"}, "arn:aws:s3:::b"),
                ("lambda", {}, "*")):
            self.assertEqual(named_resource(svc, params, HUB, R), want, (svc, params))
        self.assertEqual(arn_resource(fn), (fn, {"aws:ResourceAccount": HUB}))
        self.assertEqual(arn_resource("arn:aws:s3:::b/k"), ("arn:aws:s3:::b/k", {}))

    def test_table(self):
        class Call:
            account, region, params, body = HUB, R, {}, b""
        lam, cfn = Call(), Call()
        lam.svc, lam.action, lam.path = "lambda", "Invoke", "/2015-03-31/functions/f%2Dx/invocations"
        cfn.svc, cfn.action, cfn.path = "cloudformation", "DeleteStack", "/"
        cfn.params = {"StackName": "s"}
        table = Resources(None)
        self.assertEqual(table.for_call(lam), [(f"arn:aws:lambda:{R}:{HUB}:function:f-x",
                                                {"aws:ResourceAccount": HUB})])
        self.assertEqual(table.for_call(cfn), [(f"arn:aws:cloudformation:{R}:{HUB}:stack/s/*",
                                                {"aws:ResourceAccount": HUB})])


class UserPolicies(unittest.TestCase):
    """A user's policies are its own and its groups' (IAM User Guide, "Policy evaluation
    logic"); moto's model read in this process (awsenv learns no user keys today)."""

    def test_user_and_group_policies(self):
        from moto.iam.models import iam_backends
        from iam_eval import identity_policies
        acct = "999999999999"
        iam = iam_backends[acct]["aws"]
        iam.create_user(region_name="us-east-1", user_name="ops")
        iam.create_group("admins", "/")
        iam.add_user_to_group("admins", "ops")
        iam.put_user_policy("ops", "own", json.dumps(doc(allow("ec2:DescribeVpcs"))))
        iam.put_group_policy("admins", "grp", json.dumps(doc(deny("ec2:DeleteVpc"), allow("ec2:*"))))

        class Cred:
            account, role_arn, arn = acct, None, f"arn:aws:iam::{acct}:user/ops"
        docs = identity_policies(Cred)
        self.assertEqual(len(docs), 2)
        self.assertEqual(decide(docs, "ec2:CreateVpc", [("*", {})])[0], "Allow")
        self.assertEqual(decide(docs, "ec2:DeleteVpc", [("*", {})])[0], "ExplicitDeny")
        Cred.role_arn = f"arn:aws:iam::{acct}:role/gone"
        self.assertIsNone(identity_policies(Cred))  # a deleted role's sessions: nothing


class ThroughAwsEnv(AwsEnvCase):
    """Assumed roles of the hub, their calls judged; the accounts' keys are not."""

    def role(self, name, *statements, trusted=HUB):
        iam = self.client("iam", "hub")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(
            f"arn:aws:iam::{trusted}:root")))["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="p",
                                PolicyDocument=json.dumps(doc(*statements)))
        return arn

    def as_role(self, service, arn, who="hub"):
        return self.env.assumed_client(service, arn, who)

    def peering(self):
        hub, b = self.client("ec2", "hub"), self.client("ec2", "client-b")
        hub_vpc = hub.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        b_vpc = b.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        pcx = b.create_vpc_peering_connection(VpcId=b_vpc, PeerVpcId=hub_vpc, PeerOwnerId=HUB)
        return hub_vpc, b_vpc, pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]

    def refused(self, fn, code, status=403):
        err = self.assertAwsError(fn, code, status)
        return err["Error"]["Message"]

    def test_accept_needs_the_accepter_vpc(self):
        hub_vpc, _, pcx = self.peering()
        only_pcx = self.role("only-pcx", allow(
            "ec2:AcceptVpcPeeringConnection", f"arn:aws:ec2:{R}:{HUB}:vpc-peering-connection/*",
            Condition={"ArnEquals": {"ec2:AccepterVpc": f"arn:aws:ec2:{R}:{HUB}:vpc/{hub_vpc}"}}))
        msg = self.refused(lambda: self.as_role("ec2", only_pcx).accept_vpc_peering_connection(
            VpcPeeringConnectionId=pcx), "UnauthorizedOperation")
        self.assertIn(f"on resource: arn:aws:ec2:{R}:{HUB}:vpc/{hub_vpc}", msg)
        self.assertIn("assumed-role/only-pcx/", msg)
        both = self.role("both", allow("ec2:AcceptVpcPeeringConnection",
                                       f"arn:aws:ec2:{R}:{HUB}:vpc-peering-connection/*",
                                       Condition={"ArnLike": {"ec2:RequesterVpc":
                                                              f"arn:aws:ec2:{R}:{B}:vpc/*"}}),
                         allow("ec2:AcceptVpcPeeringConnection",
                               f"arn:aws:ec2:{R}:{HUB}:vpc/{hub_vpc}"))
        st = self.as_role("ec2", both).accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.assertIn(st["VpcPeeringConnection"]["Status"]["Code"], ("active", "provisioning"))

    def test_explicit_deny_and_route_table_vpc(self):
        ec2 = self.client("ec2", "hub")
        hub_vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        other = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        rt_hub = ec2.create_route_table(VpcId=hub_vpc)["RouteTable"]["RouteTableId"]
        rt_other = ec2.create_route_table(VpcId=other)["RouteTable"]["RouteTableId"]
        arn = self.role("router", allow("ec2:CreateRoute", f"arn:aws:ec2:{R}:{HUB}:route-table/*",
                                        Condition={"ArnEquals": {"ec2:Vpc": f"arn:aws:ec2:{R}:{HUB}:vpc/{hub_vpc}"}}),
                        allow("ec2:Describe*"), deny("ec2:DescribeVpcs"))
        r = self.as_role("ec2", arn)
        r.create_route(RouteTableId=rt_hub, DestinationCidrBlock="10.1.0.0/16", GatewayId="local")
        self.refused(lambda: r.create_route(RouteTableId=rt_other, DestinationCidrBlock="10.1.0.0/16",
                                            GatewayId="local"), "UnauthorizedOperation")
        r.describe_route_tables()
        msg = self.refused(r.describe_vpcs, "UnauthorizedOperation")
        self.assertIn("explicit deny", msg)
        # the account's own keys are all-powerful, as a root user's
        ec2.describe_vpcs()

    def test_iam_sts_and_switch(self):
        target = self.role("target")
        arn = self.role("reader", allow(["iam:GetRole"], target))
        iam = self.as_role("iam", arn)
        iam.get_role(RoleName="target")
        msg = self.refused(lambda: iam.get_role(RoleName="reader"), "AccessDenied")
        self.assertIn(f"iam:GetRole on resource: arn:aws:iam::{HUB}:role/reader", msg)
        # GetCallerIdentity needs no permission; AssumeRole from a session needs sts:AssumeRole
        sts = self.as_role("sts", arn)
        self.assertIn("assumed-role/reader", sts.get_caller_identity()["Arn"])
        self.refused(lambda: sts.assume_role(RoleArn=target, RoleSessionName="chained"), "AccessDenied")
        # the switch: off, the policies are not read (moto's behaviour)
        self.env.post("/_awsenv/config", {"iam_policies": False})
        iam.get_role(RoleName="reader")

    def test_service_session(self):
        iam = self.client("iam", "hub")
        arn = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
        iam.put_role_policy(RoleName="fn", PolicyName="p",
                            PolicyDocument=json.dumps(doc(allow("ec2:DescribeVpcs"))))
        with self.assertRaisesRegex(RuntimeError, "403.*does not trust ec2.amazonaws.com"):
            self.env.post("/_awsenv/iam/service-session",
                          {"role_arn": arn, "service": "ec2.amazonaws.com"})
        c = self.env.post("/_awsenv/iam/service-session",
                          {"role_arn": arn, "service": "lambda.amazonaws.com",
                           "session_name": "handler"})
        ec2 = self.env.client("ec2", creds=(c["AccessKeyId"], c["SecretAccessKey"],
                                            c["SessionToken"]))
        ec2.describe_vpcs()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            ec2.create_vpc(CidrBlock="10.0.0.0/16")
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnauthorizedOperation")


if __name__ == "__main__":
    unittest.main()
