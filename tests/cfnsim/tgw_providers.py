# SPDX-License-Identifier: Apache-2.0
"""cfnsim's resource types of templates/hub-tgw.yaml (issue 16's transit-gateway hub).

awsenv answers transit gateways itself (tests/awsenv/tgw.py, not moto's backend) and RAM
(tests/awsenv/ram.py), so these providers make the calls CloudFormation makes through
awsenv's EC2 and RAM APIs, in the stack's account. Properties are the CloudFormation
resource reference's (AWS::EC2::TransitGateway, ...RouteTable, ...VpcAttachment,
...RouteTableAssociation, ...Route, AWS::RAM::ResourceShare); those not listed here are
refused by cfnsim's validation, as for every type. `providers(cfnsim)` returns the table
cfnsim.py adds to its own (the module is handed in, so this file imports nothing of it).
"""

import time

# CloudFormation's TransitGateway property -> the Options key of CreateTransitGateway.
TGW_OPTIONS = ("AmazonSideAsn", "AutoAcceptSharedAttachments", "DefaultRouteTableAssociation",
               "DefaultRouteTablePropagation", "DnsSupport", "VpnEcmpSupport", "MulticastSupport")


def providers(cf):
    Provider, CfnError, _ec2, _delete, _spec = (cf.Provider, cf.CfnError, cf._ec2, cf._delete,
                                                cf._spec)

    def wait_state(ctx, what, read, want, gone=("deleted",)):
        """CloudFormation waits for the resource to settle; awsenv settles at once or in a
        few reads (no sleep as synchronisation: each read is a real call)."""
        for _ in range(50):
            state = read()
            if state in want:
                return state
            if state in gone or state in ("failed", "rejected"):
                raise CfnError(f"{what} is {state}")
            time.sleep(0.05)
        raise CfnError(f"{what} did not become {'/'.join(want)} (still {state})")

    class TransitGateway(Provider):
        props = ("Description", "Tags") + TGW_OPTIONS
        attributes = ("Id", "TransitGatewayArn")

        def create(self, ctx, logical, props):
            ec2 = ctx.client("ec2")
            opts = {k: (int(props[k]) if k == "AmazonSideAsn" else props[k])
                    for k in TGW_OPTIONS if k in props}
            g = _ec2(lambda: ec2.create_transit_gateway(
                Description=props.get("Description", ""), Options=opts,
                TagSpecifications=_spec(ctx, logical, props, "transit-gateway"))["TransitGateway"])
            tid = g["TransitGatewayId"]
            wait_state(ctx, tid, lambda: ec2.describe_transit_gateways(TransitGatewayIds=[tid])[
                "TransitGateways"][0]["State"], ("available",))
            return tid, {"Id": tid, "TransitGatewayArn": g["TransitGatewayArn"]}

        def delete(self, ctx, res):
            _delete(ctx, lambda ec2: ec2.delete_transit_gateway(
                TransitGatewayId=res["PhysicalResourceId"]), "InvalidTransitGatewayID.NotFound")

    class RouteTable(Provider):
        props = ("TransitGatewayId", "Tags")
        required = ("TransitGatewayId",)
        attributes = ("TransitGatewayRouteTableId",)

        def create(self, ctx, logical, props):
            ec2 = ctx.client("ec2")
            t = _ec2(lambda: ec2.create_transit_gateway_route_table(
                TransitGatewayId=props["TransitGatewayId"],
                TagSpecifications=_spec(ctx, logical, props, "transit-gateway-route-table"))[
                    "TransitGatewayRouteTable"])
            rid = t["TransitGatewayRouteTableId"]
            return rid, {"TransitGatewayRouteTableId": rid}

        def delete(self, ctx, res):
            _delete(ctx, lambda ec2: ec2.delete_transit_gateway_route_table(
                TransitGatewayRouteTableId=res["PhysicalResourceId"]),
                "InvalidRouteTableID.NotFound")

    class VpcAttachment(Provider):
        props = ("TransitGatewayId", "VpcId", "SubnetIds", "Options", "Tags")
        required = ("TransitGatewayId", "VpcId", "SubnetIds")
        attributes = ("Id",)

        def read(self, ec2, aid):
            got = ec2.describe_transit_gateway_vpc_attachments(
                TransitGatewayAttachmentIds=[aid])["TransitGatewayVpcAttachments"]
            return got[0]["State"] if got else "deleted"

        def create(self, ctx, logical, props):
            ec2 = ctx.client("ec2")
            kw = {"TransitGatewayId": props["TransitGatewayId"], "VpcId": props["VpcId"],
                  "SubnetIds": list(props["SubnetIds"]),
                  "TagSpecifications": _spec(ctx, logical, props, "transit-gateway-attachment")}
            if props.get("Options"):
                kw["Options"] = dict(props["Options"])
            a = _ec2(lambda: ec2.create_transit_gateway_vpc_attachment(**kw)[
                "TransitGatewayVpcAttachment"])
            aid = a["TransitGatewayAttachmentId"]
            # the hub's own VPC: same account, no acceptance; CloudFormation waits for available
            wait_state(ctx, aid, lambda: self.read(ec2, aid), ("available",))
            return aid, {"Id": aid}

        def delete(self, ctx, res):
            aid = res["PhysicalResourceId"]
            _delete(ctx, lambda ec2: ec2.delete_transit_gateway_vpc_attachment(
                TransitGatewayAttachmentId=aid), "InvalidTransitGatewayAttachmentID.NotFound")
            ec2 = ctx.client("ec2")
            wait_state(ctx, aid, lambda: self.read(ec2, aid), ("deleted",), gone=())

    class Association(Provider):
        props = ("TransitGatewayRouteTableId", "TransitGatewayAttachmentId")
        required = props

        def create(self, ctx, logical, props):
            ec2 = ctx.client("ec2")
            _ec2(lambda: ec2.associate_transit_gateway_route_table(
                TransitGatewayRouteTableId=props["TransitGatewayRouteTableId"],
                TransitGatewayAttachmentId=props["TransitGatewayAttachmentId"]))
            return (f"{props['TransitGatewayRouteTableId']}|"
                    f"{props['TransitGatewayAttachmentId']}"), {}

        def delete(self, ctx, res):
            p = res["Properties"]
            _delete(ctx, lambda ec2: ec2.disassociate_transit_gateway_route_table(
                TransitGatewayRouteTableId=p["TransitGatewayRouteTableId"],
                TransitGatewayAttachmentId=p["TransitGatewayAttachmentId"]),
                "InvalidAssociation.NotFound", "InvalidRouteTableID.NotFound",
                "InvalidTransitGatewayAttachmentID.NotFound")

    class Route(Provider):
        props = ("TransitGatewayRouteTableId", "DestinationCidrBlock",
                 "TransitGatewayAttachmentId", "Blackhole")
        required = ("TransitGatewayRouteTableId", "DestinationCidrBlock")

        def create(self, ctx, logical, props):
            if bool(props.get("TransitGatewayAttachmentId")) == (str(props.get("Blackhole"))
                                                                 .lower() == "true"):
                raise CfnError(f"{logical}: give TransitGatewayAttachmentId or Blackhole true")
            ec2 = ctx.client("ec2")
            kw = {"TransitGatewayRouteTableId": props["TransitGatewayRouteTableId"],
                  "DestinationCidrBlock": props["DestinationCidrBlock"]}
            if props.get("TransitGatewayAttachmentId"):
                kw["TransitGatewayAttachmentId"] = props["TransitGatewayAttachmentId"]
            else:
                kw["Blackhole"] = True
            _ec2(lambda: ec2.create_transit_gateway_route(**kw))
            return f"{kw['TransitGatewayRouteTableId']}|{kw['DestinationCidrBlock']}", {}

        def delete(self, ctx, res):
            p = res["Properties"]
            _delete(ctx, lambda ec2: ec2.delete_transit_gateway_route(
                TransitGatewayRouteTableId=p["TransitGatewayRouteTableId"],
                DestinationCidrBlock=p["DestinationCidrBlock"]),
                "InvalidRoute.NotFound", "InvalidRouteTableID.NotFound")

    class ResourceShare(Provider):
        props = ("Name", "AllowExternalPrincipals", "Principals", "ResourceArns", "Tags")
        required = ("Name",)
        attributes = ("Arn",)

        def create(self, ctx, logical, props):
            ram = ctx.client("ram")
            kw = {"name": props["Name"],
                  "allowExternalPrincipals": str(props.get("AllowExternalPrincipals", "true"))
                  .lower() == "true",
                  "tags": [{"key": t["Key"], "value": t["Value"]}
                           for t in cf._tags(ctx, logical, props)
                           if not t["Key"].startswith("aws:")]}
            if props.get("Principals"):
                kw["principals"] = list(props["Principals"])
            if props.get("ResourceArns"):
                kw["resourceArns"] = list(props["ResourceArns"])
            s = _ec2(lambda: ram.create_resource_share(**kw)["resourceShare"])
            return s["resourceShareArn"], {"Arn": s["resourceShareArn"]}

        def delete(self, ctx, res):
            ram = ctx.client("ram")
            try:
                ram.delete_resource_share(resourceShareArn=res["PhysicalResourceId"])
            except Exception as e:                # noqa: BLE001
                if cf._aws_code(e) != "UnknownResourceException":
                    raise CfnError(cf._aws_message(e)) from None

    return {
        "AWS::EC2::TransitGateway": TransitGateway(),
        "AWS::EC2::TransitGatewayRouteTable": RouteTable(),
        "AWS::EC2::TransitGatewayVpcAttachment": VpcAttachment(),
        "AWS::EC2::TransitGatewayRouteTableAssociation": Association(),
        "AWS::EC2::TransitGatewayRoute": Route(),
        "AWS::RAM::ResourceShare": ResourceShare(),
    }
