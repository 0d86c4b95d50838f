/* SPDX-License-Identifier: Apache-2.0 */
#include "api/admission.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/ratelimit.h"
#include "proof/proof.h"

#define BUSY_RETRY_AFTER 1 /* seconds, when every replay slot is taken */

struct vp_admission {
	unsigned max_replays;
	struct vp_ratelimit *sources;
	struct vp_ratelimit *keys;
	pthread_mutex_t lock; /* running */
	unsigned running;
};

void vp_admission_config_defaults(struct vp_admission_config *cfg)
{
	cfg->max_replays = 48; /* of the 64 default workers: 16 stay for cached proofs */
	cfg->source_rate = 100;
	cfg->source_burst = 500;
	cfg->key_rate = 20;
	cfg->key_burst = 200;
}

vp_code vp_admission_new(const struct vp_admission_config *cfg, struct vp_admission **out,
			 struct vp_error *err)
{
	struct vp_admission *adm;

	if (!(cfg->source_rate > 0) || !(cfg->key_rate > 0) || !(cfg->source_burst >= 1) ||
	    !(cfg->key_burst >= 1))
		return vp_fail(err, VP_ERR_INVALID,
			       "admission control: rates must be > 0 and bursts >= 1");
	adm = calloc(1, sizeof(*adm));
	if (!adm)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for admission control");
	adm->max_replays = cfg->max_replays;
	pthread_mutex_init(&adm->lock, NULL);
	if (vp_ratelimit_new(cfg->source_rate, cfg->source_burst, &adm->sources, err) != VP_OK ||
	    vp_ratelimit_new(cfg->key_rate, cfg->key_burst, &adm->keys, err) != VP_OK) {
		vp_admission_free(adm);
		return VP_ERR_NOMEM;
	}
	*out = adm;
	return VP_OK;
}

void vp_admission_free(struct vp_admission *adm)
{
	if (!adm)
		return;
	vp_ratelimit_free(adm->sources);
	vp_ratelimit_free(adm->keys);
	pthread_mutex_destroy(&adm->lock);
	free(adm);
}

void vp_admission_key_of(const struct vp_proof *p, char out[VP_ADMISSION_KEY_MAX + 1])
{
	out[0] = '\0';
	for (size_t i = 0; i < p->header_count; i++) {
		const char *cred, *end;
		size_t n;
		if (strcasecmp(p->headers[i].name, "Authorization") != 0)
			continue;
		cred = strstr(p->headers[i].value, "Credential=");
		if (!cred)
			return;
		cred += strlen("Credential=");
		end = cred + strcspn(cred, "/, ");
		n = (size_t)(end - cred);
		if (n > VP_ADMISSION_KEY_MAX)
			n = VP_ADMISSION_KEY_MAX;
		memcpy(out, cred, n);
		out[n] = '\0';
		return;
	}
}

bool vp_admission_enter(struct vp_admission *adm, const char *source, const struct vp_proof *p,
			unsigned *retry_after, char *why, size_t why_size)
{
	char key[VP_ADMISSION_KEY_MAX + 1];
	bool ok;

	if (source && *source && !vp_ratelimit_take(adm->sources, source, retry_after)) {
		snprintf(why, why_size, "too many new identity proofs from %s; retry after %u s",
			 source, *retry_after);
		return false;
	}
	vp_admission_key_of(p, key);
	if (key[0] && !vp_ratelimit_take(adm->keys, key, retry_after)) {
		snprintf(why, why_size,
			 "too many new identity proofs for access key %.24s; retry after %u s", key,
			 *retry_after);
		return false;
	}
	pthread_mutex_lock(&adm->lock);
	ok = adm->running < adm->max_replays;
	if (ok)
		adm->running++;
	pthread_mutex_unlock(&adm->lock);
	if (!ok) {
		*retry_after = BUSY_RETRY_AFTER;
		snprintf(why, why_size,
			 "the broker verifies %u new identity proofs already; retry after %u s",
			 adm->max_replays, *retry_after);
	}
	return ok;
}

void vp_admission_leave(struct vp_admission *adm)
{
	pthread_mutex_lock(&adm->lock);
	if (adm->running)
		adm->running--;
	pthread_mutex_unlock(&adm->lock);
}
