/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/metrics.h"

static void assert_has(const char *text, const char *line)
{
	assert_non_null(text);
	if (!strstr(text, line))
		fail_msg("exposition lacks '%s':\n%s", line, text ? text : "");
}

static void test_counters_gauges_and_help(void **state)
{
	struct vp_metrics *m = vp_metrics_new();
	const char *const ok[] = {"route", "register", "status", "201", NULL};
	const char *const bad[] = {"route", "register", "status", "409", NULL};
	char *text;
	(void)state;
	assert_int_equal(vp_metrics_declare(m, "vpcpeer_requests_total", VP_METRIC_COUNTER,
					    "HTTP requests by route and status.", NULL),
			 VP_OK);
	assert_int_equal(vp_metrics_declare(m, "vpcpeer_namespaces", VP_METRIC_GAUGE,
					    "Namespaces by state.", NULL),
			 VP_OK);
	vp_metrics_add(m, "vpcpeer_requests_total", ok, 1);
	vp_metrics_add(m, "vpcpeer_requests_total", ok, 1);
	vp_metrics_add(m, "vpcpeer_requests_total", bad, 1);
	vp_metrics_set(m, "vpcpeer_namespaces", (const char *const[]){"state", "active", NULL}, 7);
	vp_metrics_set(m, "vpcpeer_namespaces", (const char *const[]){"state", "active", NULL}, 5);
	vp_metrics_add(m, "vpcpeer_unknown_total", NULL, 1);  /* ignored */
	vp_metrics_set(m, "vpcpeer_requests_total", ok, 100); /* wrong type: ignored */
	text = vp_metrics_render(m);
	assert_has(text, "# HELP vpcpeer_requests_total HTTP requests by route and status.\n");
	assert_has(text, "# TYPE vpcpeer_requests_total counter\n");
	assert_has(text, "vpcpeer_requests_total{route=\"register\",status=\"201\"} 2\n");
	assert_has(text, "vpcpeer_requests_total{route=\"register\",status=\"409\"} 1\n");
	assert_has(text, "# TYPE vpcpeer_namespaces gauge\n");
	assert_has(text, "vpcpeer_namespaces{state=\"active\"} 5\n");
	assert_null(strstr(text, "unknown"));
	free(text);
	vp_metrics_free(m);
	vp_metrics_free(NULL);
}

static void test_histogram_buckets_are_cumulative(void **state)
{
	struct vp_metrics *m = vp_metrics_new();
	const double bounds[] = {0.01, 0.1, 1};
	char *text;
	(void)state;
	assert_int_equal(vp_metrics_declare_histogram(m, "vpcpeer_request_seconds", "Latency.",
						      bounds, 3, NULL),
			 VP_OK);
	vp_metrics_observe(m, "vpcpeer_request_seconds", NULL, 0.005);
	vp_metrics_observe(m, "vpcpeer_request_seconds", NULL, 0.05);
	vp_metrics_observe(m, "vpcpeer_request_seconds", NULL, 0.5);
	vp_metrics_observe(m, "vpcpeer_request_seconds", NULL, 5);
	text = vp_metrics_render(m);
	assert_has(text, "# TYPE vpcpeer_request_seconds histogram\n");
	assert_has(text, "vpcpeer_request_seconds_bucket{le=\"0.01\"} 1\n");
	assert_has(text, "vpcpeer_request_seconds_bucket{le=\"0.1\"} 2\n");
	assert_has(text, "vpcpeer_request_seconds_bucket{le=\"1\"} 3\n");
	assert_has(text, "vpcpeer_request_seconds_bucket{le=\"+Inf\"} 4\n");
	assert_has(text, "vpcpeer_request_seconds_sum 5.555\n");
	assert_has(text, "vpcpeer_request_seconds_count 4\n");
	free(text);
	vp_metrics_free(m);
}

static void test_label_values_are_escaped(void **state)
{
	struct vp_metrics *m = vp_metrics_new();
	char *text;
	(void)state;
	assert_int_equal(vp_metrics_declare(m, "x_total", VP_METRIC_COUNTER, "x", NULL), VP_OK);
	vp_metrics_add(m, "x_total", (const char *const[]){"v", "a\"b\\c\nd", NULL}, 1);
	text = vp_metrics_render(m);
	assert_has(text, "x_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
	free(text);
	vp_metrics_free(m);
}

static void test_declarations_are_checked_and_series_bounded(void **state)
{
	struct vp_metrics *m = vp_metrics_new();
	const double down[] = {1, 0.5};
	struct vp_error err;
	char *text;
	(void)state;
	assert_int_equal(vp_metrics_declare(m, "9bad", VP_METRIC_COUNTER, "x", &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_metrics_declare(m, "a b", VP_METRIC_COUNTER, "x", &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_metrics_declare(m, "ok_total", VP_METRIC_COUNTER, "x", &err), VP_OK);
	assert_int_equal(vp_metrics_declare(m, "ok_total", VP_METRIC_GAUGE, "x", &err),
			 VP_ERR_CONFLICT);
	assert_int_equal(vp_metrics_declare_histogram(m, "h", "x", down, 2, &err), VP_ERR_INVALID);
	for (int i = 0; i < VP_METRICS_MAX_SERIES + 10; i++) {
		char v[16];
		snprintf(v, sizeof(v), "%d", i);
		vp_metrics_add(m, "ok_total", (const char *const[]){"i", v, NULL}, 1);
	}
	text = vp_metrics_render(m);
	assert_has(text, "vpcpeer_metrics_dropped_total 10\n");
	assert_has(text, "ok_total{i=\"511\"} 1\n");
	assert_null(strstr(text, "ok_total{i=\"512\"}"));
	free(text);
	vp_metrics_free(m);
}

static void *hammer(void *arg)
{
	for (int i = 0; i < 10000; i++)
		vp_metrics_add(arg, "c_total", (const char *const[]){"t", "x", NULL}, 1);
	return NULL;
}

struct counted {
	struct vp_metrics *m;
	int calls;
};

static void count_now(void *ctx)
{
	struct counted *c = ctx;
	c->calls++;
	vp_metrics_set(c->m, "vpcpeer_live", NULL, (double)(c->calls * 10));
}

/* A collector sets its gauges at each render, before the text is made; cleared, it runs no more. */
static void test_collector_runs_at_render(void **state)
{
	struct vp_metrics *m = vp_metrics_new();
	struct counted c = {m, 0};
	char *text;
	(void)state;
	assert_int_equal(vp_metrics_declare(m, "vpcpeer_live", VP_METRIC_GAUGE, "Live.", NULL),
			 VP_OK);
	vp_metrics_on_render(m, count_now, &c);
	text = vp_metrics_render(m);
	assert_has(text, "vpcpeer_live 10\n");
	free(text);
	text = vp_metrics_render(m);
	assert_has(text, "vpcpeer_live 20\n");
	free(text);
	vp_metrics_on_render(m, NULL, NULL);
	text = vp_metrics_render(m);
	assert_has(text, "vpcpeer_live 20\n");
	assert_int_equal(c.calls, 2);
	free(text);
	vp_metrics_free(m);
}

static void test_threads_lose_no_update(void **state)
{
	struct vp_metrics *m = vp_metrics_new();
	pthread_t threads[4];
	char *text;
	(void)state;
	assert_int_equal(vp_metrics_declare(m, "c_total", VP_METRIC_COUNTER, "c", NULL), VP_OK);
	for (int i = 0; i < 4; i++)
		pthread_create(&threads[i], NULL, hammer, m);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	text = vp_metrics_render(m);
	assert_has(text, "c_total{t=\"x\"} 40000\n");
	free(text);
	vp_metrics_free(m);
}

/* The process_* families only where asked for, each with a plausible value. */
static void test_process_metrics(void **state)
{
	struct vp_metrics *m = vp_metrics_new();
	const char *at;
	char *text;
	double v;

	(void)state;
	text = vp_metrics_render(m);
	assert_null(strstr(text, "process_"));
	free(text);
	vp_metrics_with_process(m);
	text = vp_metrics_render(m);
	assert_non_null(strstr(text, "# TYPE process_cpu_seconds_total counter\n"));
	at = strstr(text, "\nprocess_resident_memory_bytes ");
	assert_non_null(at);
	v = strtod(at + strlen("\nprocess_resident_memory_bytes "), NULL);
	assert_true(v > 1024.0 * 1024.0); /* this test program is more than 1 MiB resident */
	at = strstr(text, "\nprocess_open_fds ");
	assert_non_null(at);
	assert_true(strtod(at + strlen("\nprocess_open_fds "), NULL) >= 3.0); /* stdio */
	at = strstr(text, "\nprocess_start_time_seconds ");
	assert_non_null(at);
	v = strtod(at + strlen("\nprocess_start_time_seconds "), NULL);
	assert_true(v > (double)time(NULL) - 3600.0 && v <= (double)time(NULL) + 1.0);
	assert_non_null(strstr(text, "\nprocess_max_fds "));
	assert_non_null(strstr(text, "\nprocess_virtual_memory_bytes "));
	free(text);
	vp_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_gauges_and_help),
		cmocka_unit_test(test_histogram_buckets_are_cumulative),
		cmocka_unit_test(test_label_values_are_escaped),
		cmocka_unit_test(test_declarations_are_checked_and_series_bounded),
		cmocka_unit_test(test_collector_runs_at_render),
		cmocka_unit_test(test_threads_lose_no_update),
		cmocka_unit_test(test_process_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
