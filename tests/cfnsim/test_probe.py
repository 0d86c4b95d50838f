# SPDX-License-Identifier: Apache-2.0
"""The HealthCheck's probe from inside the client VPC (issue 21), end to end: client stacks
from templates/client.yaml with HealthCheck set, in cfnsim, against the real broker and the
real handler; the template's ProbeFunction (the same binary in probe mode) runs in a network
namespace of tests/dataplane, in its first private subnet behind its security group, so its
packets to the hub's test service cross the peering and the routes the stack and the broker
made, or do not.

Needs root (network namespaces, nftables): skipped otherwise, a failure with CI=true, as
tests/dataplane does."""

import ipaddress
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "dataplane"))

import test_stacks as ts  # noqa: E402
from test_stacks import bh, cfnsim  # noqa: E402
import dataplane  # noqa: E402

PORT = 8080          # the hub's test service
CLOSED_PORT = 8081   # nobody listens there


class ProbeCase(ts.StackCase):
    @classmethod
    def setUpClass(cls):
        ok, why = dataplane.available()
        if not ok:
            if os.environ.get("CI") == "true":
                raise AssertionError(f"the data plane cannot run here: {why}")
            raise unittest.SkipTest(why)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        # The probe gives up after 5 s, so a failing stack fails quickly.
        self.sim.lambdas.extra_env["VPCPEER_HEALTH_CHECK_TIMEOUT"] = "5"
        # The hub's operator puts its service's subnet on a route table the broker routes.
        self.hub.ec2.associate_route_table(RouteTableId=self.hub.route_tables[0],
                                           SubnetId=self.hub.subnet)
        self.dp = dataplane.DataPlane.from_awsenv(self.env)
        self.addCleanup(self.dp.close)
        self.sim.lambdas.data_plane = self.dp
        self.hub_host = self.dp.host(self.hub.subnet)
        self.dp.serve(self.hub_host, PORT)

    def deploy_checked(self, broker, who, name, health, template=ts.CLIENT_TEMPLATE):
        return self.sim.create_stack(name, template, who, parameters={
            "BrokerUrl": broker.url, "ServerId": bh.SERVER_ID,
            "HandlerCodeBucket": "vpcpeer-handler-code",
            "PeeringAccepter": self.MODE, "HealthCheck": health},
            capabilities=["CAPABILITY_IAM"])

    def probe_function(self):
        fns = [f for f in self.sim.lambdas.functions.values() if f.vpc_config]
        self.assertEqual(len(fns), 1, "one function with VpcConfig: ProbeFunction")
        return fns[0]

    @property
    def checking(self):
        """The custom resource that runs the HealthCheck."""
        return "HubHealthCheck" if self.MODE == "broker" else "PeerRoleConfirmation"


class ProbeStacks(ProbeCase):
    """Broker mode: the second confirmation (HubHealthCheck) invokes the probe."""

    def test_probe_passes_from_the_private_subnet(self):
        broker = self.start_broker()
        st = self.deploy_checked(broker, "client-b", "client-b", f"{self.hub_host.addr}:{PORT}")
        self.assertEqual(st.status, "CREATE_COMPLETE", self.diagnose(st))
        fn = self.probe_function()
        # It ran in the first private subnet (SubnetC), behind ProbeSecurityGroup.
        private_c = bh.plan_of(1)[1][2]
        self.assertIn(ipaddress.ip_address(fn.vpc_host.addr), ipaddress.ip_network(private_c))
        self.assertEqual(len(fn.vpc_host.security_groups), 1)
        self.assertEqual(len(fn.invocations), 1)
        answer = cfnsim.json.loads(fn.invocations[0].body)
        self.assertTrue(answer["Reached"], answer)
        self.assertEqual(answer["Targets"][0]["Outcome"], "connected")
        self.assertEqual(answer["Targets"][0]["LocalAddress"], fn.vpc_host.addr)
        # The handler invoked it (and nothing else), allowed by its role's policy.
        self.assertEqual([(c, d) for c, a, d in self.sim.lambdas.sync_invocations
                          if a == fn.arn], [(c, "Allow") for c, a, d in
                                           self.sim.lambdas.sync_invocations])
        self.assertEqual(len(self.sim.lambdas.sync_invocations), 1)
        st = self.sim.delete_stack(st)
        self.assertEqual(st.status, "DELETE_COMPLETE", self.diagnose(st))
        self.assertGone(broker, "client-b", 1)
        self.assertEqual([h.name for h in self.dp.hosts.values()], [self.hub_host.name])

    def test_failing_probe_rolls_back_and_leaves_nothing(self):
        broker = self.start_broker()
        st = self.deploy_checked(broker, "client-b", "client-b",
                                 f"{self.hub_host.addr}:{PORT}, {self.hub_host.addr}:{CLOSED_PORT}")
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        failed = [e for e in st.events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], [self.checking], st.events)
        reason = failed[0]["ResourceStatusReason"]
        self.assertIn("health check from this VPC failed for 1 target", reason)
        self.assertIn(f"{self.hub_host.addr}:{CLOSED_PORT}: refused", reason)
        self.assertNotIn(f"{self.hub_host.addr}:{PORT}:", reason)
        self.assertEqual(st.resources, {})
        self.assertGone(broker, "client-b", 1)
        self.assertEqual(self.hub_client_routes(), {t: {} for t in self.hub.route_tables})

    def test_hub_security_group_refusing_rolls_back(self):
        # A second hub host whose security group admits nothing: the probe's packets are
        # dropped in the data plane, the probe times out and says where to look.
        sg = self.hub.ec2.create_security_group(GroupName="hub-closed", Description="no ingress",
                                                VpcId=self.hub.vpc)["GroupId"]
        closed = self.dp.host(self.hub.subnet, security_groups=[sg])
        self.dp.serve(closed, PORT)
        broker = self.start_broker()
        st = self.deploy_checked(broker, "client-d", "client-d", f"{closed.addr}:{PORT}")
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        failed = [e for e in st.events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], [self.checking], st.events)
        self.assertIn(f"{closed.addr}:{PORT}: timed_out", failed[0]["ResourceStatusReason"])
        self.assertGone(broker, "client-d", 1)

    def test_handler_may_invoke_its_probe_only(self):
        broker = self.start_broker()
        doc = cfnsim.load_template(ts.CLIENT_TEMPLATE)
        st_ = doc["Resources"]["ProbeInvokePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
        st_["Resource"] = {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:"
                                      "${AWS::AccountId}:function:some-other-function"}
        st = self.deploy_checked(broker, "client-c", "client-c", f"{self.hub_host.addr}:{PORT}",
                                 template=doc)
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        failed = [e for e in st.events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], [self.checking], st.events)
        reason = failed[0]["ResourceStatusReason"]
        self.assertIn("cannot invoke the probe function", reason)
        self.assertIn("AccessDeniedException", reason)
        # tried 4 times in all (IAM's propagation delay), each judged and denied
        self.assertEqual([d for _, _, d in self.sim.lambdas.sync_invocations],
                         ["ImplicitDeny"] * 4)
        self.assertGone(broker, "client-c", 1)


class PeerRoleProbeStacks(ProbeCase):
    """Peer-role mode: PeerRoleConfirmation (after the routes) invokes the probe."""
    MODE = "peer-role"
    test_probe_passes_from_the_private_subnet = ProbeStacks.test_probe_passes_from_the_private_subnet
    test_failing_probe_rolls_back_and_leaves_nothing = \
        ProbeStacks.test_failing_probe_rolls_back_and_leaves_nothing


if __name__ == "__main__":
    unittest.main()
