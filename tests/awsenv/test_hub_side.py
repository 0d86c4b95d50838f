"""The hub side rules of hub_side.py (issue 19), each against what moto 5.2 alone does:
ModifyManagedPrefixList's CurrentVersion and MaxEntries, the name kept across a modify, and
who may set which side's peering options (and only on an active peering)."""

import unittest

from awsenv_base import AwsEnvCase, B, HUB


class HubSideTest(AwsEnvCase):
    # peering.py's rules, without strict_ec2.py's (tested in test_strict_ec2.py): these
    # tests read CIDR blocks of pending peerings and expect an accept to be active at once
    extra_args = ("--lenient-ec2",)

    def prefix_list(self, max_entries=2):
        ec2 = self.client("ec2")
        pl = ec2.create_managed_prefix_list(PrefixListName="clients", AddressFamily="IPv4",
                                            MaxEntries=max_entries)["PrefixList"]
        return ec2, pl["PrefixListId"]

    def version(self, ec2, pl):
        return ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"][0]["Version"]

    def test_stale_version_refused(self):
        ec2, pl = self.prefix_list()
        v = self.version(ec2, pl)
        ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=v,
                                       AddEntries=[{"Cidr": "10.0.4.0/22"}])
        self.assertAwsError(ec2.modify_managed_prefix_list, "PrefixListVersionMismatch", 400,
                            PrefixListId=pl, CurrentVersion=v,
                            AddEntries=[{"Cidr": "10.0.8.0/22"}])
        got = ec2.get_managed_prefix_list_entries(PrefixListId=pl)["Entries"]
        self.assertEqual([e["Cidr"] for e in got], ["10.0.4.0/22"], "nothing changed")
        ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=self.version(ec2, pl),
                                       AddEntries=[{"Cidr": "10.0.8.0/22"}])

    def test_max_entries_and_name(self):
        ec2, pl = self.prefix_list(max_entries=1)
        ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=self.version(ec2, pl),
                                       AddEntries=[{"Cidr": "10.0.4.0/22"}])
        self.assertAwsError(ec2.modify_managed_prefix_list, "PrefixListMaxEntriesExceeded", 400,
                            PrefixListId=pl, CurrentVersion=self.version(ec2, pl),
                            AddEntries=[{"Cidr": "10.0.8.0/22"}])
        got = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"][0]
        self.assertEqual(got["PrefixListName"], "clients", "a modify keeps the name")

    def test_peering_options_by_the_owner_of_each_side(self):
        hub, b = self.client("ec2"), self.client("ec2", "client-b")
        hub_vpc = hub.create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        b_vpc = b.create_vpc(CidrBlock="10.0.4.0/22")["Vpc"]["VpcId"]
        pcx = b.create_vpc_peering_connection(VpcId=b_vpc, PeerVpcId=hub_vpc, PeerOwnerId=HUB)[
            "VpcPeeringConnection"]["VpcPeeringConnectionId"]
        opts = {"AllowDnsResolutionFromRemoteVpc": True}
        self.assertAwsError(hub.modify_vpc_peering_connection_options,
                            "InvalidVpcPeeringConnectionState", 400,
                            VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions=opts)
        hub.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.assertAwsError(b.modify_vpc_peering_connection_options, "OperationNotPermitted", 400,
                            VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions=opts)
        self.assertAwsError(hub.modify_vpc_peering_connection_options, "OperationNotPermitted",
                            400, VpcPeeringConnectionId=pcx,
                            RequesterPeeringConnectionOptions=opts)
        hub.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx,
                                                  AccepterPeeringConnectionOptions=opts)
        got = b.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])[
            "VpcPeeringConnections"][0]
        self.assertTrue(got["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"])
        self.assertEqual(B, got["RequesterVpcInfo"]["OwnerId"])


if __name__ == "__main__":
    unittest.main()
