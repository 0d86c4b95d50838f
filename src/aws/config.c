/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "aws/credentials.h"
#include "core/file.h"

#define MAX_ENTRIES 4096

enum section_kind { SECTION_PROFILE, SECTION_SERVICES, SECTION_OTHER };

struct entry {
	enum vp_aws_config_file file;
	enum section_kind kind;
	char *section;
	char *key;
	char *sub; /* NULL unless inside a nested block */
	char *value;
};

struct vp_aws_config {
	struct entry *entries;
	size_t count, cap;
	/* sections seen, so an empty [profile x] still exists */
	struct entry *sections;
	size_t section_count, section_cap;
};

vp_code vp_aws_config_new(struct vp_aws_config **out, struct vp_error *err)
{
	struct vp_aws_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	*out = cfg;
	return VP_OK;
}

void vp_aws_config_free(struct vp_aws_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->entries[i].section);
		free(cfg->entries[i].key);
		free(cfg->entries[i].sub);
		vp_aws_secret_free(cfg->entries[i].value);
	}
	for (size_t i = 0; i < cfg->section_count; i++)
		free(cfg->sections[i].section);
	free(cfg->entries);
	free(cfg->sections);
	free(cfg);
}

static char *dup_range(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Trim spaces and tabs from both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

static vp_code grow(struct entry **arr, size_t *cap, size_t count)
{
	struct entry *g;
	size_t ncap;

	if (count < *cap)
		return VP_OK;
	if (count >= MAX_ENTRIES)
		return VP_ERR_RANGE;
	ncap = *cap ? *cap * 2 : 16;
	g = realloc(*arr, ncap * sizeof(**arr));
	if (!g)
		return VP_ERR_NOMEM;
	*arr = g;
	*cap = ncap;
	return VP_OK;
}

vp_code vp_aws_config_parse(struct vp_aws_config *cfg, enum vp_aws_config_file which,
			    const char *name, const char *text, size_t len, struct vp_error *err)
{
	const char *p = text, *end = text + len;
	char *section = NULL;
	enum section_kind kind = SECTION_OTHER;
	char *block = NULL; /* the key whose nested block is open */
	int line = 0;
	vp_code rc = VP_OK;

	if (len > VP_AWS_CONFIG_FILE_MAX)
		return vp_fail(err, VP_ERR_RANGE, "%s: larger than %zu bytes", name,
			       VP_AWS_CONFIG_FILE_MAX);
	while (p < end && rc == VP_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool indented = n > 0 && (s[0] == ' ' || s[0] == '\t');

		line++;
		p = nl ? nl + 1 : end;
		if (memchr(s, '\0', n)) {
			rc = vp_fail(err, VP_ERR_INVALID, "%s:%d: NUL byte", name, line);
			break;
		}
		trim(&s, &n);
		if (n == 0 || s[0] == '#' || s[0] == ';')
			continue;
		if (s[0] == '[') {
			const char *h = s + 1;
			size_t hn;
			if (s[n - 1] != ']') {
				rc = vp_fail(err, VP_ERR_INVALID,
					     "%s:%d: section header without ']'", name, line);
				break;
			}
			hn = n - 2;
			trim(&h, &hn);
			free(section);
			free(block);
			section = NULL;
			block = NULL;
			kind = SECTION_OTHER;
			if (which == VP_AWS_CREDENTIALS_FILE) {
				kind = SECTION_PROFILE;
			} else if (hn == 7 && memcmp(h, "default", 7) == 0) {
				kind = SECTION_PROFILE;
			} else if (hn > 8 && memcmp(h, "profile", 7) == 0 &&
				   (h[7] == ' ' || h[7] == '\t')) {
				kind = SECTION_PROFILE;
				h += 8;
				hn -= 8;
			} else if (hn > 9 && memcmp(h, "services", 8) == 0 &&
				   (h[8] == ' ' || h[8] == '\t')) {
				kind = SECTION_SERVICES;
				h += 9;
				hn -= 9;
			}
			trim(&h, &hn);
			section = dup_range(h, hn);
			if (!section) {
				rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
				break;
			}
			if (kind == SECTION_PROFILE) {
				rc = grow(&cfg->sections, &cfg->section_cap, cfg->section_count);
				if (rc != VP_OK) {
					vp_fail(err, rc, "%s: too many sections", name);
					break;
				}
				cfg->sections[cfg->section_count++] = (struct entry){
					.file = which, .kind = kind, .section = strdup(section)};
			}
			continue;
		}
		{
			const char *eq = memchr(s, '=', n);
			const char *k = s, *v;
			size_t kn, vn;
			struct entry *e;

			if (!eq) {
				rc = vp_fail(err, VP_ERR_INVALID, "%s:%d: expected 'key = value'",
					     name, line);
				break;
			}
			if (!section) {
				rc = vp_fail(err, VP_ERR_INVALID,
					     "%s:%d: setting outside a [section]", name, line);
				break;
			}
			kn = (size_t)(eq - s);
			v = eq + 1;
			vn = n - kn - 1;
			trim(&k, &kn);
			trim(&v, &vn);
			if (kn == 0) {
				rc = vp_fail(err, VP_ERR_INVALID, "%s:%d: empty key", name, line);
				break;
			}
			if (!indented) {
				free(block);
				block = NULL;
				if (vn == 0) {
					block = dup_range(k, kn);
					if (!block) {
						rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
						break;
					}
					continue;
				}
			}
			rc = grow(&cfg->entries, &cfg->cap, cfg->count);
			if (rc != VP_OK) {
				vp_fail(err, rc, "%s: too many settings", name);
				break;
			}
			e = &cfg->entries[cfg->count];
			*e = (struct entry){.file = which, .kind = kind};
			e->section = strdup(section);
			if (indented && block) {
				e->key = strdup(block);
				e->sub = dup_range(k, kn);
			} else {
				e->key = dup_range(k, kn);
			}
			e->value = dup_range(v, vn);
			cfg->count++;
			if (!e->section || !e->key || !e->value || (indented && block && !e->sub)) {
				rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
				break;
			}
		}
	}
	free(section);
	free(block);
	return rc;
}

static const struct entry *lookup(const struct vp_aws_config *cfg, enum vp_aws_config_file which,
				  enum section_kind kind, const char *section, const char *key,
				  const char *sub)
{
	const struct entry *hit = NULL;

	if (!cfg || !section)
		return NULL;
	/* The last assignment wins, as in botocore's parser. */
	for (size_t i = 0; i < cfg->count; i++) {
		const struct entry *e = &cfg->entries[i];
		if (e->file == which && e->kind == kind && strcmp(e->section, section) == 0 &&
		    strcmp(e->key, key) == 0 &&
		    ((sub == NULL && e->sub == NULL) ||
		     (sub && e->sub && strcmp(e->sub, sub) == 0)))
			hit = e;
	}
	return hit;
}

const char *vp_aws_config_file_value(const struct vp_aws_config *cfg, enum vp_aws_config_file which,
				     const char *profile, const char *key)
{
	const struct entry *e = lookup(cfg, which, SECTION_PROFILE, profile, key, NULL);
	return e ? e->value : NULL;
}

const char *vp_aws_config_value(const struct vp_aws_config *cfg, const char *profile,
				const char *key)
{
	const char *v = vp_aws_config_file_value(cfg, VP_AWS_CREDENTIALS_FILE, profile, key);
	return v ? v : vp_aws_config_file_value(cfg, VP_AWS_CONFIG_FILE, profile, key);
}

bool vp_aws_config_has_profile(const struct vp_aws_config *cfg, const char *profile)
{
	if (!cfg || !profile)
		return false;
	for (size_t i = 0; i < cfg->section_count; i++)
		if (strcmp(cfg->sections[i].section, profile) == 0)
			return true;
	return false;
}

const char *vp_aws_config_service_value(const struct vp_aws_config *cfg, const char *profile,
					const char *service, const char *key)
{
	const char *services =
		vp_aws_config_file_value(cfg, VP_AWS_CONFIG_FILE, profile, "services");
	const struct entry *e;

	if (!services)
		return NULL;
	e = lookup(cfg, VP_AWS_CONFIG_FILE, SECTION_SERVICES, services, service, key);
	return e ? e->value : NULL;
}

const char *vp_aws_env(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] ? v : NULL;
}

bool vp_aws_env_true(const char *name)
{
	const char *v = vp_aws_env(name);
	return v && strcasecmp(v, "true") == 0;
}

/* A missing file is an empty one. */
static vp_code load_file(struct vp_aws_config *cfg, enum vp_aws_config_file which, const char *path,
			 struct vp_error *err)
{
	char *buf = NULL;
	size_t n = 0;
	vp_code rc = vp_file_read(path, VP_AWS_CONFIG_FILE_MAX, &buf, &n, err);

	if (rc == VP_ERR_NOT_FOUND) {
		vp_error_clear(err);
		return VP_OK;
	}
	if (rc != VP_OK)
		return rc;
	rc = vp_aws_config_parse(cfg, which, path, buf, n, err);
	OPENSSL_cleanse(buf, n);
	free(buf);
	return rc;
}

static vp_code default_path(const char *given, const char *var, const char *leaf, char *out,
			    size_t cap, struct vp_error *err)
{
	const char *v = given ? given : getenv(var);
	const char *home;
	int n;

	out[0] = '\0';
	if (v && v[0]) {
		if (v[0] == '~' && v[1] == '/' && (home = getenv("HOME")))
			n = snprintf(out, cap, "%s%s", home, v + 1);
		else
			n = snprintf(out, cap, "%s", v);
	} else {
		home = getenv("HOME");
		if (!home || !home[0])
			return VP_OK; /* no file */
		n = snprintf(out, cap, "%s/.aws/%s", home, leaf);
	}
	if (n < 0 || (size_t)n >= cap)
		return vp_fail(err, VP_ERR_RANGE, "path of the AWS %s file is too long", leaf);
	return VP_OK;
}

vp_code vp_aws_config_load(const char *config_path, const char *credentials_path,
			   struct vp_aws_config **out, struct vp_error *err)
{
	struct vp_aws_config *cfg = NULL;
	char path[4096];
	vp_code rc = vp_aws_config_new(&cfg, err);

	if (rc != VP_OK)
		return rc;
	rc = default_path(config_path, "AWS_CONFIG_FILE", "config", path, sizeof(path), err);
	if (rc == VP_OK && path[0])
		rc = load_file(cfg, VP_AWS_CONFIG_FILE, path, err);
	if (rc == VP_OK)
		rc = default_path(credentials_path, "AWS_SHARED_CREDENTIALS_FILE", "credentials",
				  path, sizeof(path), err);
	if (rc == VP_OK && path[0])
		rc = load_file(cfg, VP_AWS_CREDENTIALS_FILE, path, err);
	if (rc != VP_OK) {
		vp_aws_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return VP_OK;
}
