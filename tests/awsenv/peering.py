"""awsenv: VPC peering as AWS documents it (the EC2 part of awsenv; see README.md).

moto 5.2 keeps one VPCPeeringConnection object, shared by the requester's and the
accepter's backends. This module patches moto where it differs from AWS and runs
the checks the proxy makes before moto sees a request. Every rule cites its page:

[PCX-API]   docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpcPeeringConnection.html,
            API_AcceptVpcPeeringConnection.html, API_RejectVpcPeeringConnection.html,
            API_DeleteVpcPeeringConnection.html
[PCX-DEL]   docs.aws.amazon.com/vpc/latest/peering/delete-vpc-peering-connection.html
[PCX-BASIC] docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html
            (lifecycle; limitations: tags)
[PCX-QUOTA] docs.aws.amazon.com/vpc/latest/peering/vpc-peering-connection-quotas.html and
            docs.aws.amazon.com/general/latest/gr/vpc-service.html (Service Quotas codes
            L-7E9ECCDB active per VPC 50, L-DC9F7029 outstanding requests 25,
            L-8312C5BB request expiry 168 hours, not adjustable)
[EC2ERR]    docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
[PCX-INFO]  docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcPeeringConnectionVpcInfo.html

All of it runs under Moto.lock (one request at a time), so module state needs no lock.
"""

import datetime as dt

# [PCX-API] "The VPC peering connection request expires after 7 days, after which
# it cannot be accepted or rejected." [PCX-QUOTA] L-8312C5BB: 168 hours, fixed.
REQUEST_LIFETIME = dt.timedelta(days=7)
PENDING = "pending-acceptance"
# [PCX-API] Delete: "You cannot delete a VPC peering connection that's in the failed or
# rejected state." An expired request is as final ([PCX-API]: it "cannot be accepted or
# rejected"); awsenv refuses its deletion too (not documented either way).
UNDELETABLE = ("failed", "rejected", "expired")


class PeeringError(Exception):
    """An EC2 error answer (400): the proxy turns it into an AwsError."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Peerings:
    """The peering rules and their state: the peering clock, the requests still
    pending (to expire them), and the caller of the request moto is running."""

    def __init__(self, moto_ec2, config):
        self.ec2 = moto_ec2          # (account, region) -> moto EC2 backend
        self.config = config         # () -> AwsEnv.config (the run-time settings)
        self.offset = dt.timedelta(0)
        self.pending = []            # VPCPeeringConnection objects seen pending
        self.held = set()            # ids that stay provisioning once accepted (a control)
        self.provisioning = {}       # id -> the held peering, accepted and provisioning
        self.caller = None           # (account, region) of the EC2 request in moto
        _patch(self)

    # ---------------- clock ----------------
    def now(self):
        return dt.datetime.now(dt.timezone.utc) + self.offset

    def reset(self):
        self.offset = dt.timedelta(0)
        self.pending.clear()
        self.held.clear()
        self.provisioning.clear()
        self.caller = None

    def expire_due(self):
        """[PCX-BASIC] lifecycle: a request not accepted in time becomes `expired`."""
        now = self.now()
        keep = []
        for p in self.pending:
            if p._status.code != PENDING:
                continue
            if p._awsenv_created + REQUEST_LIFETIME <= now:
                _expire(p)
            else:
                keep.append(p)
        self.pending[:] = keep

    # ---------------- control API ----------------
    def control(self, method, path, doc):
        """/_awsenv/clock, /_awsenv/peerings/expire, /_awsenv/peerings/hold and
        /_awsenv/peerings/activate; returns (status, doc)."""
        if path == "/_awsenv/clock":
            if method == "POST":
                try:
                    if "offset" in doc:
                        self.offset = dt.timedelta(seconds=float(doc["offset"]))
                    self.offset += dt.timedelta(seconds=float(doc.get("advance", 0)))
                except (TypeError, ValueError):
                    return 400, {"error": "advance and offset are numbers of seconds"}
                self.expire_due()
            return 200, {"now": self.now().isoformat(),
                         "offset": self.offset.total_seconds()}
        if path == "/_awsenv/peerings/expire" and method == "POST":
            ids = doc.get("ids")
            if not isinstance(ids, list) or not ids:
                return 400, {"error": "give {\"ids\": [\"pcx-...\"]}"}
            by_id = {p.id: p for p in self.pending}
            missing = [i for i in ids if i not in by_id or by_id[i]._status.code != PENDING]
            if missing:
                return 400, {"error": f"not pending acceptance: {', '.join(map(str, missing))}"}
            for i in ids:
                _expire(by_id[i])
            self.expire_due()
            return 200, {"expired": ids}
        if path in ("/_awsenv/peerings/hold", "/_awsenv/peerings/activate") and method == "POST":
            ids = doc.get("ids")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                return 400, {"error": "give {\"ids\": [\"pcx-...\"]}"}
            if path.endswith("/hold"):
                # [PCX-BASIC] lifecycle: an accepted request is `provisioning` "while the
                # VPC peering connection is being established" before `active`: these stay
                # there once accepted, until /_awsenv/peerings/activate
                self.held.update(ids)
                return 200, {"held": sorted(self.held)}
            done = []
            for i in ids:
                self.held.discard(i)
                p = self.provisioning.pop(i, None)
                if p is not None and p._status.code == "provisioning":
                    p._status.code, p._status.message = "active", "Active"
                    done.append(i)
            return 200, {"activated": done}
        return 404, {"error": f"no control endpoint {method} {path}"}

    # ---------------- before moto ----------------
    def before(self, action, params, account, region):
        """Checks before moto runs an EC2 request; raises PeeringError."""
        self.caller = (account, region)
        self.expire_due()
        if action == "CreateVpcPeeringConnection":
            self._check_outstanding(account, region)
        elif action == "AcceptVpcPeeringConnection":
            self._check_accept(params, account, region)
        elif action == "DeleteVpcPeeringConnection":
            self._check_delete(params, account, region)
        elif action == "DeleteTags":
            self._check_tag_targets(params, account, region)

    def _visible(self, params, account, region):
        # a peering is visible to both VPC owners and nobody else: moto answers
        # InvalidVpcPeeringConnectionID.NotFound to anyone else (as AWS does)
        return self.ec2(account, region).vpc_pcxs.get(params.get("VpcPeeringConnectionId", ""))

    def _check_outstanding(self, account, region):
        # [PCX-QUOTA] "Outstanding VPC peering connection requests": requests this account
        # has made that are still pending acceptance. Code from [EC2ERR].
        limit = int(self.config()["max_outstanding_peering_requests"])
        mine = sum(1 for p in list(self.ec2(account, region).vpc_pcxs.values())
                   if p._status.code == PENDING and p.vpc.owner_id == account
                   and p.vpc.region == region)
        if mine >= limit:
            raise PeeringError("OutstandingVpcPeeringConnectionLimitExceeded",
                               "You've reached the limit on the number of VPC peering "
                               f"connection requests that you can create ({limit}).")

    def _check_accept(self, params, account, region):
        p = self._visible(params, account, region)
        # [PCX-API] Accept: "you must be the owner of the accepter VPC" and the peering
        # "must be in the pending-acceptance state": moto checks both (OperationNotPermitted,
        # InvalidStateTransition); the quota only matters for an accept that would succeed.
        if p is None or p._status.code != PENDING or p.peer_vpc.owner_id != account:
            return
        # [PCX-QUOTA] "Active VPC peering connections per VPC" (50): active ones only,
        # checked when a connection would become active, on both of its VPCs.
        limit = int(self.config()["max_peerings_per_vpc"])
        for vpc in (p.vpc, p.peer_vpc):
            if self.count_active(vpc) >= limit:
                raise PeeringError("ActiveVpcPeeringConnectionPerVpcLimitExceeded",
                                   f"The VPC '{vpc.id}' has reached the maximum number of "
                                   f"active VPC peering connections ({limit}).")

    def count_active(self, vpc):
        be = self.ec2(vpc.owner_id, vpc.region)
        return sum(1 for p in list(be.vpc_pcxs.values())
                   if p._status.code == "active" and vpc.id in (p.vpc.id, p.peer_vpc.id))

    def _check_delete(self, params, account, region):
        p = self._visible(params, account, region)
        if p is None:
            return  # moto: InvalidVpcPeeringConnectionID.NotFound
        code = p._status.code
        if code in UNDELETABLE:
            raise PeeringError("InvalidStateTransition",
                               f"VpcPeeringConnectionID {p.id} is not in the correct state "
                               f"for the request ({code}).")
        # [PCX-API] Delete: "Either the owner of the requester VPC or the owner of the
        # accepter VPC can delete the VPC peering connection if it's in the active state.
        # The owner of the requester VPC can delete a VPC peering connection in the
        # pending-acceptance state." [PCX-DEL]: the accepter rejects it instead.
        # (Error code ours: AWS does not document the answer.)
        if code == PENDING and p.vpc.owner_id != account:
            raise PeeringError("OperationNotPermitted",
                               f"User ({account}) cannot delete peering {p.id} while it is "
                               "pending acceptance: only its requester can; the accepter "
                               "rejects it (RejectVpcPeeringConnection).")

    def _check_tag_targets(self, params, account, region):
        # moto's CreateTags answers NotFound for a peering the caller cannot see (as AWS
        # does); its DeleteTags does not check.
        be = self.ec2(account, region)
        for k, v in params.items():
            if k.startswith("ResourceId.") and v.startswith("pcx-") and v not in be.vpc_pcxs:
                raise PeeringError("InvalidVpcPeeringConnectionID.NotFound",
                                   f"The vpcPeeringConnection ID '{v}' does not exist")


def _expire(p):
    p._status.code = "expired"
    p._status.message = "Expired"


def _cidr_block_set(vpc):
    # [PCX-INFO] CidrBlockSet: "Information about the IPv4 CIDR blocks for the VPC":
    # every associated IPv4 block, primary and secondary (moto gives only CidrBlock).
    return [{"CidrBlock": a["cidr_block"]}
            for a in vpc.get_cidr_block_association_set(ipv6=False)
            if a.get("cidr_block_state", {}).get("state") == "associated"]


def _patch(peerings):
    from moto.ec2.models.vpc_peering_connections import (
        VPCPeeringConnection, VPCPeeringConnectionBackend)
    from moto.ec2.models.core import TaggedEC2Resource

    # [PCX-BASIC] lifecycle: a new request is pending-acceptance (same account or not)
    # and its 7-day clock starts now.
    create = VPCPeeringConnectionBackend.create_vpc_peering_connection

    def create_vpc_peering_connection(self, vpc, peer_vpc, tags=None):
        p = create(self, vpc, peer_vpc, tags)
        p._awsenv_created = peerings.now()
        peerings.pending.append(p)
        return p
    VPCPeeringConnectionBackend.create_vpc_peering_connection = create_vpc_peering_connection

    accept = VPCPeeringConnectionBackend.accept_vpc_peering_connection

    def accept_vpc_peering_connection(self, vpc_pcx_id):
        p = accept(self, vpc_pcx_id)
        if p.id in peerings.held:
            p._status.code, p._status.message = "provisioning", "Provisioning"
            peerings.provisioning[p.id] = p
        return p
    VPCPeeringConnectionBackend.accept_vpc_peering_connection = accept_vpc_peering_connection

    req_info = VPCPeeringConnection.requester_vpc_info.fget
    acc_info = VPCPeeringConnection.accepter_vpc_info.fget

    def requester_vpc_info(self):
        d = dict(req_info(self))
        d["CidrBlockSet"] = _cidr_block_set(self.vpc)
        return d

    def accepter_vpc_info(self):
        d = dict(acc_info(self))
        d["CidrBlockSet"] = _cidr_block_set(self.peer_vpc)
        return d
    VPCPeeringConnection.requester_vpc_info = property(requester_vpc_info)
    VPCPeeringConnection.accepter_vpc_info = property(accepter_vpc_info)

    # [PCX-API] ExpirationTime: "The time that an unaccepted VPC peering connection will
    # expire": creation + 7 days, shown while unaccepted (and once expired).
    def expiration_time(self):
        created = getattr(self, "_awsenv_created", None)
        if created is None or self._status.code not in (PENDING, "expired"):
            return None
        return created + REQUEST_LIFETIME
    VPCPeeringConnection.expiration_time = property(expiration_time)

    # [PCX-BASIC] limitations: "Any tags that you create for your VPC peering connection
    # are only applied in the account or Region in which you create them." moto keeps
    # tags per backend but reads the requester's: read the caller's instead.
    def get_tags(self):
        if peerings.caller is None:
            return TaggedEC2Resource.get_tags(self)
        be = peerings.ec2(*peerings.caller)
        return be.describe_tags(filters={"resource-id": [self.id]})
    VPCPeeringConnection.get_tags = get_tags
    VPCPeeringConnection.tags = property(lambda self: [
        {"Key": t["key"], "Value": t["value"]} for t in self.get_tags()])
