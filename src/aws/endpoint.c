/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {"sts",     "iam",    "ec2",           "ram",
				    "route53", "lambda", "secretsmanager"};
static const char *const env_ids[] = {
	"STS", "IAM", "EC2", "RAM", "ROUTE_53", "LAMBDA", "SECRETS_MANAGER"};
static const char *const config_keys[] = {
	"sts", "iam", "ec2", "ram", "route_53", "lambda", "secrets_manager"};
static const char *const versions[] = {"2011-06-15", "2010-05-08", "2016-11-15", "",
				       "2013-04-01", "2015-03-31", "2017-10-17"};

const char *vp_aws_service_name(enum vp_aws_service svc)
{
	return names[svc];
}
const char *vp_aws_service_env_id(enum vp_aws_service svc)
{
	return env_ids[svc];
}
const char *vp_aws_service_version(enum vp_aws_service svc)
{
	return versions[svc];
}
const char *vp_aws_service_config_key(enum vp_aws_service svc)
{
	return config_keys[svc];
}

/* Route 53's global signing region in a partition (it differs from IAM's in aws-cn). */
static const char *route53_region(const struct vp_aws_partition *part)
{
	return strcmp(part->name, "aws-cn") == 0 ? "cn-northwest-1" : part->global_region;
}

static const struct vp_aws_partition partitions[] = {
	{"aws", "amazonaws.com", "us-east-1", "iam.amazonaws.com"},
	{"aws-cn", "amazonaws.com.cn", "cn-north-1", "iam.cn-north-1.amazonaws.com.cn"},
	{"aws-us-gov", "amazonaws.com", "us-gov-west-1", "iam.us-gov.amazonaws.com"},
};

/* "<prefix>-\w+-\d+" after the given prefix. */
static bool matches_shape(const char *r, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;
	size_t word = 0, digits = 0;

	if (strncmp(r, prefix, n) != 0 || r[n] != '-')
		return false;
	p = r + n + 1;
	while (*p && *p != '-') {
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
		word++;
		p++;
	}
	if (*p != '-' || word == 0)
		return false;
	p++;
	while (isdigit((unsigned char)*p)) {
		digits++;
		p++;
	}
	return *p == '\0' && digits > 0;
}

/* The partition of a region of a known shape; NULL for none. */
static const struct vp_aws_partition *known_partition(const char *region)
{
	static const char *const aws_prefixes[] = {"us", "eu", "ap", "sa", "ca",
						   "me", "af", "il", "mx", NULL};
	if (matches_shape(region, "us-gov") || strcmp(region, "aws-us-gov-global") == 0)
		return &partitions[2];
	if (matches_shape(region, "cn") || strcmp(region, "aws-cn-global") == 0)
		return &partitions[1];
	if (strcmp(region, "aws-global") == 0)
		return &partitions[0];
	for (size_t i = 0; aws_prefixes[i]; i++)
		if (matches_shape(region, aws_prefixes[i]))
			return &partitions[0];
	return NULL;
}

const struct vp_aws_partition *vp_aws_partition_for_region(const char *region)
{
	const struct vp_aws_partition *p = region ? known_partition(region) : NULL;

	return p ? p : &partitions[0];
}

vp_code vp_aws_region_check(const char *region, struct vp_error *err)
{
	if (!region || known_partition(region))
		return VP_OK;
	return vp_fail(err, VP_ERR_INVALID,
		       "region '%.63s' is in no partition vpcpeer knows (aws, aws-cn, aws-us-gov: "
		       "not us-iso-*, us-isob-*, eusc-*): its ARNs and endpoint names would be "
		       "guesses; use a region of those partitions (docs/aws-client.md, "
		       "\"Partitions\")",
		       region);
}

bool vp_aws_region_valid(const char *region)
{
	size_t n = region ? strlen(region) : 0;

	if (n == 0 || n >= VP_AWS_REGION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)region[i]) && !isdigit((unsigned char)region[i]) &&
		    region[i] != '-')
			return false;
	return true;
}

static bool sts_legacy_global(const char *region)
{
	static const char *const legacy[] = {"aws-global",
					     "ap-northeast-1",
					     "ap-south-1",
					     "ap-southeast-1",
					     "ap-southeast-2",
					     "ca-central-1",
					     "eu-central-1",
					     "eu-north-1",
					     "eu-west-1",
					     "eu-west-2",
					     "eu-west-3",
					     "sa-east-1",
					     "us-east-1",
					     "us-east-2",
					     "us-west-1",
					     "us-west-2",
					     NULL};
	for (size_t i = 0; legacy[i]; i++)
		if (strcmp(region, legacy[i]) == 0)
			return true;
	return false;
}

/* https://<prefix><a>[.<b>] */
static vp_code set(struct vp_aws_endpoint *out, enum vp_aws_service svc, const char *prefix,
		   const char *a, const char *b, const char *region, struct vp_error *err)
{
	struct vp_aws_endpoint e = {.service = names[svc]};

	if ((size_t)snprintf(e.url, sizeof(e.url), "https://%s%s%s%s", prefix, a, b[0] ? "." : "",
			     b) >= sizeof(e.url))
		return vp_fail(err, VP_ERR_RANGE, "endpoint URL too long");
	snprintf(e.signing_region, sizeof(e.signing_region), "%s", region);
	*out = e;
	return VP_OK;
}

vp_code vp_aws_endpoint_default(enum vp_aws_service svc, const char *region, bool sts_legacy,
				struct vp_aws_endpoint *out, struct vp_error *err)
{
	const struct vp_aws_partition *part;

	if (region && !vp_aws_region_valid(region))
		return vp_fail(err, VP_ERR_INVALID, "'%s' is not a region name", region);
	part = vp_aws_partition_for_region(region);
	switch (svc) {
	case VP_AWS_IAM:
		return set(out, svc, "", part->iam_host, "", part->global_region, err);
	case VP_AWS_STS:
		if (!region || strcmp(region, "aws-global") == 0 ||
		    (sts_legacy && strcmp(part->name, "aws") == 0 && sts_legacy_global(region)))
			return set(out, svc, "sts.", "amazonaws.com", "", "us-east-1", err);
		if (strcmp(region, "aws-cn-global") == 0 ||
		    strcmp(region, "aws-us-gov-global") == 0)
			return vp_fail(err, VP_ERR_INVALID, "STS has no endpoint for '%s'", region);
		return set(out, svc, "sts.", region, part->dns_suffix, region, err);
	case VP_AWS_EC2:
		if (!region)
			return vp_fail(err, VP_ERR_INVALID,
				       "EC2 needs a region: set AWS_REGION, a profile's region or "
				       "--region");
		return set(out, svc, "ec2.", region, part->dns_suffix, region, err);
	case VP_AWS_RAM: /* regional: https://docs.aws.amazon.com/general/latest/gr/ram.html */
		if (!region)
			return vp_fail(err, VP_ERR_INVALID,
				       "RAM needs a region: set AWS_REGION, a profile's region or "
				       "--region");
		return set(out, svc, "ram.", region, part->dns_suffix, region, err);
	case VP_AWS_ROUTE53:
		if (strcmp(part->name, "aws-us-gov") == 0)
			return set(out, svc, "route53.", "us-gov", part->dns_suffix,
				   route53_region(part), err);
		return set(out, svc, "route53.", part->dns_suffix, "", route53_region(part), err);
	case VP_AWS_LAMBDA: /* regional:
			       https://docs.aws.amazon.com/general/latest/gr/lambda-service.html */
		if (!region)
			return vp_fail(
				err, VP_ERR_INVALID,
				"Lambda needs a region: set AWS_REGION, a profile's region or "
				"--region");
		return set(out, svc, "lambda.", region, part->dns_suffix, region, err);
	case VP_AWS_SECRETSMANAGER: /* regional:
				       https://docs.aws.amazon.com/general/latest/gr/asm.html */
		if (!region)
			return vp_fail(err, VP_ERR_INVALID,
				       "Secrets Manager needs a region: set AWS_REGION, a "
				       "profile's region or --region");
		return set(out, svc, "secretsmanager.", region, part->dns_suffix, region, err);
	case VP_AWS_SERVICE_COUNT:
		break;
	}
	return vp_fail(err, VP_ERR_INTERNAL, "unknown service");
}

vp_code vp_aws_endpoint_custom(enum vp_aws_service svc, const char *url, const char *region,
			       struct vp_aws_endpoint *out, struct vp_error *err)
{
	size_t n = strlen(url);

	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "endpoint URL '%s' must start with http:// or https://", url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= VP_AWS_URL_MAX)
		return vp_fail(err, VP_ERR_RANGE, "endpoint URL too long");
	if (region && !vp_aws_region_valid(region))
		return vp_fail(err, VP_ERR_INVALID, "'%s' is not a region name", region);
	memset(out, 0, sizeof(*out));
	memcpy(out->url, url, n);
	out->url[n] = '\0';
	/* IAM is global: whatever the URL, it only accepts its partition's signing region. */
	if (svc == VP_AWS_ROUTE53)
		snprintf(out->signing_region, sizeof(out->signing_region), "%s",
			 route53_region(vp_aws_partition_for_region(region)));
	else
		snprintf(out->signing_region, sizeof(out->signing_region), "%s",
			 region && strcmp(region, "aws-global") != 0 && svc != VP_AWS_IAM
				 ? region
				 : vp_aws_partition_for_region(region)->global_region);
	out->service = names[svc];
	out->custom = true;
	return VP_OK;
}
