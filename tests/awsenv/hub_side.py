"""awsenv: the hub side beyond routes (issue 19) as AWS documents it, where moto 5.2 differs.

Checks the proxy makes before moto runs an EC2 request, and one patch of moto. Every rule
cites its page:

[PL-MODIFY] docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyManagedPrefixList.html:
            "If you specify a current version number that does not match the true current
            version number, the request fails"; AddEntry.N and RemoveEntry.N "Maximum number
            of 100 items"; "Changing the name of the prefix list does not affect the version".
[PL-QUOTA]  docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html ("Maximum number
            of entries per prefix list": 1,000; a referenced list's MaxEntries counts against
            the referencing resource's quota) and work-with-cust-managed-prefix-lists.html
            ("you must specify the maximum number of entries that the prefix list can
            support").
[PCX-OPTS]  docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcPeeringConnectionOptions.html
            and docs.aws.amazon.com/vpc/latest/peering/vpc-peering-dns.html: the owner of the
            accepter VPC modifies the accepter's options, the requester VPC's owner the
            requester's; the peering must be active.
[EC2ERR]    docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html

moto 5.2: ModifyManagedPrefixList ignores CurrentVersion (no conflict ever), never checks
MaxEntries, and sets the list's name to None when the request names none (the last is
patched below). ModifyVpcPeeringConnectionOptions lets either account set either side, in
any state. All of it runs under Moto.lock, so no lock here.
"""

from peering import PeeringError

MAX_CHANGES = 100  # [PL-MODIFY]


def _indexed(params, prefix, field):
    """The values of PREFIX.N.FIELD, N = 1.. (Query-API lists)."""
    out, i = [], 1
    while f"{prefix}.{i}.{field}" in params:
        out.append(params[f"{prefix}.{i}.{field}"])
        i += 1
    return out


class HubSide:
    def __init__(self, moto_ec2):
        self.ec2 = moto_ec2          # (account, region) -> moto EC2 backend
        _patch()

    def before(self, action, params, account, region):
        """Checks before moto runs an EC2 request; raises PeeringError (an EC2 400 answer)."""
        if action == "ModifyManagedPrefixList":
            self._check_modify(params, account, region)
        elif action == "ModifyVpcPeeringConnectionOptions":
            self._check_options(params, account, region)

    def _check_modify(self, params, account, region):
        pl_id = params.get("PrefixListId", "")
        pl = self.ec2(account, region).managed_prefix_lists.get(pl_id)
        if pl is None:
            return  # moto answers the not-found error
        adds = _indexed(params, "AddEntry", "Cidr")
        removes = _indexed(params, "RemoveEntry", "Cidr")
        if len(adds) > MAX_CHANGES or len(removes) > MAX_CHANGES:  # [PL-MODIFY]
            raise PeeringError("InvalidParameterValue",
                               f"At most {MAX_CHANGES} entries can be added or removed at once.")
        current = params.get("CurrentVersion")
        if current is not None and (adds or removes) and str(pl.version) != current:
            # [PL-MODIFY] a stale version fails the request
            raise PeeringError("PrefixListVersionMismatch",
                               f"The prefix list {pl_id} version {current} does not match the "
                               f"current version {pl.version}.")
        entries = {e["Cidr"] for e in (pl.entries.get(pl.version) or [])}
        for c in removes:
            if c not in entries:
                raise PeeringError("InvalidPrefixListModification",
                                   f"The prefix list {pl_id} does not contain {c}.")
        after = (entries - set(removes)) | set(adds)
        if pl.max_entries is not None and len(after) > int(pl.max_entries):
            # [PL-QUOTA] a list holds at most its MaxEntries
            raise PeeringError("PrefixListMaxEntriesExceeded",
                               f"The prefix list {pl_id} would exceed its maximum of "
                               f"{pl.max_entries} entries.")

    def _check_options(self, params, account, region):
        pcx = self.ec2(account, region).vpc_pcxs.get(params.get("VpcPeeringConnectionId", ""))
        if pcx is None:
            return  # moto answers InvalidVpcPeeringConnectionID.NotFound
        if pcx._status.code != "active":  # [PCX-OPTS]
            raise PeeringError("InvalidVpcPeeringConnectionState",
                               f"The VPC peering connection {pcx.id} is not active.")
        wants_accepter = any(k.startswith("AccepterPeeringConnectionOptions.") for k in params)
        wants_requester = any(k.startswith("RequesterPeeringConnectionOptions.") for k in params)
        if wants_accepter and pcx.peer_vpc.owner_id != account:  # [PCX-OPTS]
            raise PeeringError("OperationNotPermitted",
                               "Only the owner of the accepter VPC can modify the accepter's "
                               "peering options.")
        if wants_requester and pcx.vpc.owner_id != account:
            raise PeeringError("OperationNotPermitted",
                               "Only the owner of the requester VPC can modify the "
                               "requester's peering options.")


def _patch():
    """[PL-MODIFY] "Changing the name of the prefix list does not affect the version": a
    request without PrefixListName keeps the name (moto sets it to None)."""
    from moto.ec2.models.managed_prefixes import ManagedPrefixListBackend
    original = ManagedPrefixListBackend.modify_managed_prefix_list
    if getattr(original, "_awsenv", False):
        return

    def modify(self, add_entry, remove_entry, prefix_list_id=None, current_version=None,
               prefix_list_name=None):
        pl = self.managed_prefix_lists.get(prefix_list_id)
        name = prefix_list_name or (pl.prefix_list_name if pl is not None else None)
        return original(self, add_entry=add_entry, remove_entry=remove_entry,
                        prefix_list_id=prefix_list_id, current_version=current_version,
                        prefix_list_name=name)

    modify._awsenv = True
    ManagedPrefixListBackend.modify_managed_prefix_list = modify
