"""RAM in awsenv (ram.py): shares, principal associations, invitations (outside the
organization) and auto-acceptance (inside it, with sharing enabled), quotas, pagination, and
what an account that is not a principal may not do. boto3 from three or four accounts."""

import unittest

from awsenv_base import AwsEnvCase, B, C, D, HUB

TGW = f"arn:aws:ec2:us-east-1:{HUB}:transit-gateway/tgw-0123456789abcdef0"
TGW2 = f"arn:aws:ec2:us-east-1:{HUB}:transit-gateway/tgw-0123456789abcdef1"
ORG = f"arn:aws:organizations::{HUB}:organization/o-vpcpeertest"


class RamTest(AwsEnvCase):
    def share(self, principals, resources=(TGW,), **kw):
        ram = self.client("ram")
        s = ram.create_resource_share(name="hub-tgw", resourceArns=list(resources),
                                      principals=list(principals), **kw)["resourceShare"]
        return ram, s["resourceShareArn"]

    def received(self, who, region="us-east-1"):
        ram = self.client("ram", who, region_name=region)
        return [r["arn"] for r in ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]]

    def invitations(self, who):
        return self.client("ram", who).get_resource_share_invitations()[
            "resourceShareInvitations"]

    def principal_status(self, ram, arn, principal):
        got = ram.get_resource_share_associations(associationType="PRINCIPAL",
                                                  resourceShareArns=[arn],
                                                  principal=principal)
        return [a["status"] for a in got["resourceShareAssociations"]]

    def test_outside_account_invitation_then_accept(self):
        ram, arn = self.share([D])
        self.assertEqual(self.principal_status(ram, arn, D), ["ASSOCIATING"])
        self.assertEqual(self.received("client-d"), [], "no access before the accept")
        invs = self.invitations("client-d")
        self.assertEqual([(i["status"], i["senderAccountId"], i["resourceShareArn"])
                          for i in invs], [("PENDING", HUB, arn)])
        d = self.client("ram", "client-d")
        got = d.accept_resource_share_invitation(
            resourceShareInvitationArn=invs[0]["resourceShareInvitationArn"])
        self.assertEqual(got["resourceShareInvitation"]["status"], "ACCEPTED")
        self.assertEqual(self.principal_status(ram, arn, D), ["ASSOCIATED"])
        self.assertEqual(self.received("client-d"), [TGW])
        shares = d.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
        self.assertEqual([s["resourceShareArn"] for s in shares], [arn])
        self.assertAwsError(d.accept_resource_share_invitation,
                            "ResourceShareInvitationAlreadyAcceptedException", 400,
                            resourceShareInvitationArn=invs[0]["resourceShareInvitationArn"])

    def test_reject(self):
        ram, arn = self.share([D])
        inv = self.invitations("client-d")[0]["resourceShareInvitationArn"]
        d = self.client("ram", "client-d")
        d.reject_resource_share_invitation(resourceShareInvitationArn=inv)
        self.assertEqual(self.received("client-d"), [])
        self.assertEqual(self.principal_status(ram, arn, D), ["FAILED"])
        self.assertAwsError(d.accept_resource_share_invitation,
                            "ResourceShareInvitationAlreadyRejectedException", 400,
                            resourceShareInvitationArn=inv)

    def test_invitation_only_once_principal_added(self):
        ram, arn = self.share([])
        self.assertEqual(self.invitations("client-d"), [])
        ram.associate_resource_share(resourceShareArn=arn, principals=[D])
        self.assertEqual(len(self.invitations("client-d")), 1)

    def test_inside_organization_auto_accepted_once_sharing_enabled(self):
        # sharing not enabled: an account of the organization is invited like any other
        ram, arn = self.share([B])
        self.assertEqual(len(self.invitations("client-b")), 1)
        self.assertEqual(self.received("client-b"), [])
        ram.enable_sharing_with_aws_organization()
        ram.associate_resource_share(resourceShareArn=arn, principals=[C])
        self.assertEqual(self.invitations("client-c"), [], "no invitation inside the org")
        self.assertEqual(self.received("client-c"), [TGW])
        self.assertEqual(self.principal_status(ram, arn, C), ["ASSOCIATED"])

    def test_organization_principal(self):
        ram = self.client("ram")
        self.assertAwsError(ram.create_resource_share, "OperationNotPermittedException", 400,
                            name="org", resourceArns=[TGW], principals=[ORG])
        ram.enable_sharing_with_aws_organization()
        ram.create_resource_share(name="org", resourceArns=[TGW], principals=[ORG])
        self.assertEqual(self.received("client-b"), [TGW])
        self.assertEqual(self.received("client-c"), [TGW])
        self.assertEqual(self.received("client-d"), [], "client-d is outside the organization")

    def test_not_a_principal_attack(self):
        """client-c is not a principal: it cannot see, accept or widen the share."""
        ram, arn = self.share([D])
        inv = self.invitations("client-d")[0]["resourceShareInvitationArn"]
        c = self.client("ram", "client-c")
        self.assertAwsError(c.accept_resource_share_invitation,
                            "ResourceShareInvitationArnNotFoundException", 400,
                            resourceShareInvitationArn=inv)
        self.assertAwsError(c.associate_resource_share, "UnknownResourceException", 400,
                            resourceShareArn=arn, principals=[C])
        self.assertEqual(self.received("client-c"), [])
        self.assertEqual(self.principal_status(ram, arn, C), [], "nothing changed")
        # and a share of a resource the caller does not own is refused
        self.assertAwsError(c.create_resource_share, "UnknownResourceException", 400,
                            name="steal", resourceArns=[TGW], principals=[C])

    def test_disassociate_removes_access(self):
        ram, arn = self.share([D])
        inv = self.invitations("client-d")[0]["resourceShareInvitationArn"]
        self.client("ram", "client-d").accept_resource_share_invitation(
            resourceShareInvitationArn=inv)
        self.assertEqual(self.received("client-d"), [TGW])
        ram.disassociate_resource_share(resourceShareArn=arn, principals=[D])
        self.assertEqual(self.received("client-d"), [])
        self.assertAwsError(ram.disassociate_resource_share, "UnknownResourceException", 400,
                            resourceShareArn=arn, principals=[D])

    def test_delete_share(self):
        """DeleteResourceShare (cfnsim deletes hub-tgw.yaml's share with it): owner only; the
        share stays listed as DELETED and shares nothing; a pending invitation expires."""
        ram, arn = self.share([D])
        inv = self.invitations("client-d")[0]["resourceShareInvitationArn"]
        self.client("ram", "client-d").accept_resource_share_invitation(resourceShareInvitationArn=inv)
        self.assertEqual(self.received("client-d"), [TGW])
        ram2, arn2 = self.share([C], resources=(TGW2,))
        self.assertAwsError(self.client("ram", "client-d").delete_resource_share,
                            "UnknownResourceException", 400, resourceShareArn=arn)
        self.assertTrue(ram.delete_resource_share(resourceShareArn=arn)["returnValue"])
        self.assertEqual(self.received("client-d"), [])
        got = ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=[arn])["resourceShares"]
        self.assertEqual([s["status"] for s in got], ["DELETED"])
        self.assertAwsError(ram.delete_resource_share, "UnknownResourceException", 400,
                            resourceShareArn=arn)
        ram.delete_resource_share(resourceShareArn=arn2)
        self.assertEqual([i["status"] for i in self.invitations("client-c")], ["EXPIRED"])

    def test_external_principals_refused_when_not_allowed(self):
        ram = self.client("ram")
        self.assertAwsError(ram.create_resource_share, "OperationNotPermittedException", 400,
                            name="internal", resourceArns=[TGW], principals=[D],
                            allowExternalPrincipals=False)
        self.assertEqual(ram.get_resource_shares(resourceOwner="SELF")["resourceShares"], [])

    def test_principals_quota(self):
        self.env.post("/_awsenv/config", {"ram_max_principals_per_share": 1})
        ram, arn = self.share([D])
        self.assertAwsError(ram.associate_resource_share, "ResourceShareLimitExceededException",
                            400, resourceShareArn=arn, principals=[C])
        self.assertEqual(self.principal_status(ram, arn, C), [], "nothing changed")

    def test_pagination(self):
        ram = self.client("ram")
        for n in ("a", "b", "c"):
            ram.create_resource_share(name=n)
        first = ram.get_resource_shares(resourceOwner="SELF", maxResults=2)
        self.assertEqual(len(first["resourceShares"]), 2)
        rest = ram.get_resource_shares(resourceOwner="SELF", maxResults=2,
                                       nextToken=first["nextToken"])
        self.assertNotIn("nextToken", rest)
        self.assertEqual(sorted(s["name"] for s in first["resourceShares"] +
                                rest["resourceShares"]), ["a", "b", "c"])
        self.assertAwsError(ram.get_resource_shares, "InvalidNextTokenException", 400,
                            resourceOwner="SELF", nextToken="bogus")

    def test_region_scoped(self):
        ram, arn = self.share([D])
        inv = self.invitations("client-d")[0]["resourceShareInvitationArn"]
        self.client("ram", "client-d").accept_resource_share_invitation(
            resourceShareInvitationArn=inv)
        self.assertEqual(self.received("client-d", "us-west-2"), [])
        west = self.client("ram", region_name="us-west-2")
        self.assertAwsError(west.associate_resource_share, "UnknownResourceException", 400,
                            resourceShareArn=arn, principals=[C])

    def test_faults_apply(self):
        self.env.post("/_awsenv/faults", {"rules": [{"service": "ram",
                                                     "action": "GetResourceShares",
                                                     "fault": "error", "count": 1,
                                                     "status": 500, "code": "ServerInternalException"}]})
        ram = self.client("ram")
        self.assertAwsError(ram.get_resource_shares, "ServerInternalException", 500,
                            resourceOwner="SELF")
        ram.get_resource_shares(resourceOwner="SELF")

    def test_fault_defaults_are_rams_own_errors(self):
        self.env.post("/_awsenv/faults", {"rules": [
            {"service": "ram", "action": "GetResourceShares", "fault": "throttle", "count": 1},
            {"service": "ram", "action": "ListResources", "fault": "error", "count": 1}]})
        ram = self.client("ram")
        self.assertAwsError(ram.get_resource_shares, "ThrottlingException", 429,
                            resourceOwner="SELF")
        self.assertAwsError(ram.list_resources, "ServerInternalException", 500,
                            resourceOwner="SELF")


if __name__ == "__main__":
    unittest.main()
