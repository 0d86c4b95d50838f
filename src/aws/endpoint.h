/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Partitions, regions and service endpoints, as the SDKs resolve them.
 *
 * Route 53 is global per partition (Route 53 endpoints and quotas, AWS General
 * Reference, https://docs.aws.amazon.com/general/latest/gr/r53.html):
 * https://route53.amazonaws.com signed for us-east-1,
 * https://route53.amazonaws.com.cn for cn-northwest-1,
 * https://route53.us-gov.amazonaws.com for us-gov-west-1. Its variable is
 * AWS_ENDPOINT_URL_ROUTE_53 and its services-section key route_53 (the
 * service id "Route 53", per the SDKs' service-specific endpoint rules).
 *
 * Partitions (botocore endpoints.json / partitions.json):
 *   aws         regions ^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$   amazonaws.com
 *   aws-cn      regions ^cn-\w+-\d+$                              amazonaws.com.cn
 *   aws-us-gov  regions ^us-gov-\w+-\d+$                          amazonaws.com
 * A region of none of these shapes (us-iso-*, us-isob-*, eusc-*, a new prefix) is in a
 * partition whose DNS suffix and ARN name this table does not know: the client refuses it
 * (vp_aws_region_check) rather than guess "aws", whatever endpoint URLs are configured, since
 * the ARNs the broker builds and the STS hosts it trusts would still be guesses.
 *
 * Default endpoints: EC2 https://ec2.<region>.<suffix>, RAM https://ram.<region>.<suffix>; STS
 * regional https://sts.<region>.<suffix> (the SDKs' default, "regional"), or with
 * sts_regional_endpoints=legacy the global https://sts.amazonaws.com for the
 * legacy global regions; STS with no region: the global endpoint (us-east-1).
 * IAM is global per partition: iam.amazonaws.com (us-east-1),
 * iam.cn-north-1.amazonaws.com.cn (cn-north-1), iam.us-gov.amazonaws.com
 * (us-gov-west-1).
 *
 * A configured endpoint URL (AWS_ENDPOINT_URL[_<SERVICE>], endpoint_url in
 * the profile; resolved in client.c) replaces the URL; requests to it are
 * signed for the client's region (us-east-1 when none) and the service,
 * except IAM and Route 53, which are always signed for their partition's
 * global signing region.
 */
#ifndef VP_AWS_ENDPOINT_H
#define VP_AWS_ENDPOINT_H

#include <stdbool.h>

#include "core/error.h"

/* RAM is a REST-JSON service (ram.h): it has no Query API version (""). Route 53 is
 * REST-XML (route53.h). */
enum vp_aws_service {
	VP_AWS_STS,
	VP_AWS_IAM,
	VP_AWS_EC2,
	VP_AWS_RAM,
	VP_AWS_ROUTE53,
	VP_AWS_LAMBDA,         /* REST-JSON (lambda.h): Invoke only */
	VP_AWS_SECRETSMANAGER, /* awsJson1.1 (secretsmanager.h): GetSecretValue only */
	VP_AWS_SERVICE_COUNT
};

/* Signing name and endpoint prefix: "sts", "iam", "ec2". */
const char *vp_aws_service_name(enum vp_aws_service svc);
/* The suffix of the AWS_ENDPOINT_URL_<SERVICE> variable: "STS", "IAM", "EC2". */
const char *vp_aws_service_env_id(enum vp_aws_service svc);
/* The Query API version: "2011-06-15", "2010-05-08", "2016-11-15" (Route 53: "2013-04-01"). */
const char *vp_aws_service_version(enum vp_aws_service svc);
/* The key of the service in a profile's services section: "sts", ..., "route_53". */
const char *vp_aws_service_config_key(enum vp_aws_service svc);

struct vp_aws_partition {
	const char *name;          /* "aws", "aws-cn", "aws-us-gov"; also the ARN partition */
	const char *dns_suffix;    /* "amazonaws.com" */
	const char *global_region; /* signing region of the global endpoints (IAM, STS) */
	const char *iam_host;      /* "iam.amazonaws.com" */
};

/* The partition a region belongs to (never NULL; "aws" for unknown or NULL: check first). */
const struct vp_aws_partition *vp_aws_partition_for_region(const char *region);

/*
 * Whether the region (NULL: none, fine) is one of the three known partitions' shapes, or
 * aws-global, aws-cn-global, aws-us-gov-global. VP_ERR_INVALID naming the region otherwise.
 */
VP_NODISCARD vp_code vp_aws_region_check(const char *region, struct vp_error *err);

/* Whether a region name is well-formed: [a-z0-9-], 1 to 63 characters. */
bool vp_aws_region_valid(const char *region);

#define VP_AWS_URL_MAX    512
#define VP_AWS_REGION_MAX 64

struct vp_aws_endpoint {
	char url[VP_AWS_URL_MAX]; /* scheme://host[:port][/path], no trailing '/' */
	char signing_region[VP_AWS_REGION_MAX];
	const char *service; /* signing name */
	bool custom;         /* from configuration, not the default */
};

/*
 * The default endpoint of `svc` in `region` (NULL allowed for STS and IAM).
 * sts_legacy selects the global STS endpoint for the legacy global regions.
 */
VP_NODISCARD vp_code vp_aws_endpoint_default(enum vp_aws_service svc, const char *region,
					     bool sts_legacy, struct vp_aws_endpoint *out,
					     struct vp_error *err);

/* A configured endpoint URL (must be http:// or https://) for `svc`. */
VP_NODISCARD vp_code vp_aws_endpoint_custom(enum vp_aws_service svc, const char *url,
					    const char *region, struct vp_aws_endpoint *out,
					    struct vp_error *err);

#endif
