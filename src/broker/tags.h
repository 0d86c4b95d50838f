/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tags the broker puts on what it makes or accepts in the hub account (a
 * peering connection, when confirm accepts or adopts it), and reads back to
 * recognise its own (the reconciler: strays, a registry restored from an older
 * backup). Tags on a peering are the hub account's own: the client's account
 * does not see them, nor can it set them for the hub.
 */
#ifndef VP_BROKER_TAGS_H
#define VP_BROKER_TAGS_H

#define VP_TAG_REGISTRY   "vpcpeer:registry"   /* vp_registry_id() of the registry */
#define VP_TAG_NAMESPACE  "vpcpeer:namespace"  /* n, in decimal */
#define VP_TAG_ACCOUNT    "vpcpeer:account"    /* the client's account id */
#define VP_TAG_CLIENT_REF "vpcpeer:client-ref" /* the registration's client_ref (<= 256) */
#define VP_TAG_NAME       "Name"               /* "vpcpeer-<n>": for the console */

#endif
