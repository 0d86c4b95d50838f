/* SPDX-License-Identifier: Apache-2.0 */
#include "core/metrics.h"
#include "core/process_metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define NAME_MAX_LEN   128
#define LABELS_MAX_LEN 512
#define RENDER_MAX     (4u << 20)

struct series {
	char labels[LABELS_MAX_LEN]; /* rendered: name="value",... (no braces) */
	double value;                /* counter, gauge; histogram: the sum */
	unsigned long long count;    /* histogram: observations */
	unsigned long long buckets[VP_METRICS_MAX_BUCKETS];
};

struct family {
	char name[NAME_MAX_LEN];
	char *help;
	enum vp_metric_type type;
	double bounds[VP_METRICS_MAX_BUCKETS];
	size_t bound_count;
	struct series *series;
	size_t series_count;
};

struct vp_metrics {
	pthread_mutex_t lock;
	struct family families[VP_METRICS_MAX_FAMILIES];
	size_t family_count;
	unsigned long long dropped;
	void (*collect)(void *ctx); /* vp_metrics_on_render */
	void *collect_ctx;
	bool process; /* vp_metrics_with_process */
};

struct vp_metrics *vp_metrics_new(void)
{
	struct vp_metrics *m = calloc(1, sizeof(*m));

	if (m)
		pthread_mutex_init(&m->lock, NULL);
	return m;
}

void vp_metrics_free(struct vp_metrics *metrics)
{
	if (!metrics)
		return;
	for (size_t i = 0; i < metrics->family_count; i++) {
		free(metrics->families[i].help);
		free(metrics->families[i].series);
	}
	pthread_mutex_destroy(&metrics->lock);
	free(metrics);
}

static bool name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alpha =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static struct family *find_family(struct vp_metrics *m, const char *name)
{
	for (size_t i = 0; i < m->family_count; i++)
		if (strcmp(m->families[i].name, name) == 0)
			return &m->families[i];
	return NULL;
}

static vp_code declare(struct vp_metrics *m, const char *name, enum vp_metric_type type,
		       const char *help, const double *bounds, size_t bound_count,
		       struct vp_error *err)
{
	struct family *f;
	vp_code rc = VP_OK;

	if (!name_valid(name))
		return vp_fail(err, VP_ERR_INVALID, "'%s' is not a valid metric name", name);
	if (bound_count > VP_METRICS_MAX_BUCKETS)
		return vp_fail(err, VP_ERR_INVALID, "metric %s: more than %d buckets", name,
			       VP_METRICS_MAX_BUCKETS);
	for (size_t i = 1; i < bound_count; i++)
		if (!(bounds[i] > bounds[i - 1]))
			return vp_fail(err, VP_ERR_INVALID, "metric %s: buckets must ascend", name);
	pthread_mutex_lock(&m->lock);
	if (find_family(m, name)) {
		rc = vp_fail(err, VP_ERR_CONFLICT, "metric %s is declared twice", name);
		goto out;
	}
	if (m->family_count >= VP_METRICS_MAX_FAMILIES) {
		rc = vp_fail(err, VP_ERR_EXHAUSTED, "more than %d metric families",
			     VP_METRICS_MAX_FAMILIES);
		goto out;
	}
	f = &m->families[m->family_count];
	memset(f, 0, sizeof(*f));
	f->help = strdup(help);
	f->series = calloc(VP_METRICS_MAX_SERIES, sizeof(*f->series));
	if (!f->help || !f->series) {
		free(f->help);
		free(f->series);
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory declaring metric %s", name);
		goto out;
	}
	memcpy(f->name, name, strlen(name) + 1);
	f->type = type;
	if (bound_count)
		memcpy(f->bounds, bounds, bound_count * sizeof(double));
	f->bound_count = bound_count;
	m->family_count++;
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

vp_code vp_metrics_declare(struct vp_metrics *metrics, const char *name, enum vp_metric_type type,
			   const char *help, struct vp_error *err)
{
	if (type == VP_METRIC_HISTOGRAM)
		return vp_fail(err, VP_ERR_INVALID, "declare histogram %s with its buckets", name);
	return declare(metrics, name, type, help, NULL, 0, err);
}

vp_code vp_metrics_declare_histogram(struct vp_metrics *metrics, const char *name, const char *help,
				     const double *bounds, size_t bound_count, struct vp_error *err)
{
	return declare(metrics, name, VP_METRIC_HISTOGRAM, help, bounds, bound_count, err);
}

/* name="value",... with \\, \" and \n escaped. False when it does not fit. */
static bool render_labels(const char *const *labels, char out[LABELS_MAX_LEN])
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
		const char *v = labels[i + 1];
		size_t name_len = strlen(labels[i]);

		if (len + name_len + 4 >= LABELS_MAX_LEN)
			return false;
		if (len)
			out[len++] = ',';
		memcpy(out + len, labels[i], name_len);
		len += name_len;
		out[len++] = '=';
		out[len++] = '"';
		for (; *v; v++) {
			const char *esc = *v == '\\'   ? "\\\\"
					  : *v == '"'  ? "\\\""
					  : *v == '\n' ? "\\n"
						       : NULL;
			size_t n = esc ? 2 : 1;
			if (len + n + 2 >= LABELS_MAX_LEN)
				return false;
			if (esc)
				memcpy(out + len, esc, 2);
			else
				out[len] = *v;
			len += n;
		}
		out[len++] = '"';
		out[len] = '\0';
	}
	return true;
}

/* The series for these labels, created on first use; NULL when bounded out. Under the lock. */
static struct series *find_series(struct vp_metrics *m, struct family *f, const char *labels)
{
	for (size_t s = 0; s < f->series_count; s++)
		if (strcmp(f->series[s].labels, labels) == 0)
			return &f->series[s];
	if (f->series_count >= VP_METRICS_MAX_SERIES) {
		m->dropped++;
		return NULL;
	}
	memcpy(f->series[f->series_count].labels, labels, strlen(labels) + 1);
	return &f->series[f->series_count++];
}

static void update(struct vp_metrics *m, const char *name, const char *const *labels,
		   enum vp_metric_type type, double value)
{
	char rendered[LABELS_MAX_LEN];
	struct family *f;
	struct series *s;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	f = find_family(m, name);
	if (!f || f->type != type)
		goto out;
	if (!render_labels(labels, rendered)) {
		m->dropped++;
		goto out;
	}
	s = find_series(m, f, rendered);
	if (!s)
		goto out;
	if (type == VP_METRIC_GAUGE) {
		s->value = value;
	} else if (type == VP_METRIC_COUNTER) {
		s->value += value;
	} else {
		s->value += value;
		s->count++;
		for (size_t b = 0; b < f->bound_count; b++)
			if (value <= f->bounds[b])
				s->buckets[b]++;
	}
out:
	pthread_mutex_unlock(&m->lock);
}

void vp_metrics_add(struct vp_metrics *metrics, const char *name, const char *const *labels,
		    double value)
{
	update(metrics, name, labels, VP_METRIC_COUNTER, value);
}

void vp_metrics_set(struct vp_metrics *metrics, const char *name, const char *const *labels,
		    double value)
{
	update(metrics, name, labels, VP_METRIC_GAUGE, value);
}

void vp_metrics_observe(struct vp_metrics *metrics, const char *name, const char *const *labels,
			double value)
{
	update(metrics, name, labels, VP_METRIC_HISTOGRAM, value);
}

/* Render a sample line: name{labels[,extra]} value */
static vp_code sample(struct vp_buf *out, const char *name, const char *suffix, const char *labels,
		      const char *extra, double value)
{
	bool braces = labels[0] || extra;

	return vp_buf_appendf(out, "%s%s%s%s%s%s%s %.15g\n", name, suffix, braces ? "{" : "",
			      labels, labels[0] && extra ? "," : "", extra ? extra : "",
			      braces ? "}" : "", value);
}

static const char *type_name(enum vp_metric_type type)
{
	return type == VP_METRIC_COUNTER ? "counter"
	       : type == VP_METRIC_GAUGE ? "gauge"
					 : "histogram";
}

/* Remember a failed append (the buffer's bound reached). */
static void note(bool *ok, vp_code code)
{
	if (code != VP_OK)
		*ok = false;
}

void vp_metrics_on_render(struct vp_metrics *metrics, void (*collect)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&metrics->lock);
	metrics->collect = collect;
	metrics->collect_ctx = ctx;
	pthread_mutex_unlock(&metrics->lock);
}

void vp_metrics_with_process(struct vp_metrics *metrics)
{
	pthread_mutex_lock(&metrics->lock);
	metrics->process = true;
	pthread_mutex_unlock(&metrics->lock);
}

char *vp_metrics_render(struct vp_metrics *metrics)
{
	struct vp_buf out;
	void (*collect)(void *ctx);
	void *collect_ctx;
	bool ok = true, process;

	pthread_mutex_lock(&metrics->lock);
	collect = metrics->collect;
	collect_ctx = metrics->collect_ctx;
	pthread_mutex_unlock(&metrics->lock);
	if (collect) /* outside the lock: it sets gauges */
		collect(collect_ctx);
	vp_buf_init(&out, RENDER_MAX);
	pthread_mutex_lock(&metrics->lock);
	for (size_t i = 0; i < metrics->family_count; i++) {
		const struct family *f = &metrics->families[i];

		note(&ok, vp_buf_appendf(&out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
					 f->name, type_name(f->type)));
		for (size_t s = 0; s < f->series_count; s++) {
			const struct series *se = &f->series[s];
			char le[48];

			if (f->type != VP_METRIC_HISTOGRAM) {
				note(&ok, sample(&out, f->name, "", se->labels, NULL, se->value));
				continue;
			}
			for (size_t b = 0; b < f->bound_count; b++) {
				snprintf(le, sizeof(le), "le=\"%.15g\"", f->bounds[b]);
				note(&ok, sample(&out, f->name, "_bucket", se->labels, le,
						 (double)se->buckets[b]));
			}
			note(&ok, sample(&out, f->name, "_bucket", se->labels, "le=\"+Inf\"",
					 (double)se->count));
			note(&ok, sample(&out, f->name, "_sum", se->labels, NULL, se->value));
			note(&ok,
			     sample(&out, f->name, "_count", se->labels, NULL, (double)se->count));
		}
	}
	note(&ok,
	     vp_buf_appendf(
		     &out,
		     "# HELP vpcpeer_metrics_dropped_total Metric updates dropped by the series "
		     "bound.\n# TYPE vpcpeer_metrics_dropped_total counter\n"
		     "vpcpeer_metrics_dropped_total %llu\n",
		     metrics->dropped));
	process = metrics->process;
	pthread_mutex_unlock(&metrics->lock);
	if (process)
		note(&ok, vp_process_metrics_append(&out));
	/* A cut exposition would read as valid and wrong: none at all instead. */
	if (!ok) {
		vp_buf_cleanup(&out);
		return NULL;
	}
	return vp_buf_steal(&out);
}
