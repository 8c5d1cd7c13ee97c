/* daemon/status: the state's precedence, the active origin, the last
 * error (cut, made valid UTF-8), what the observer is told, and reports
 * from other threads: applied on the loop, in order, dropped when status
 * is freed first. */
#include <glib.h>
#include <string.h>

#include "daemon/status.h"

static void run_loop(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* The observer's calls, as masks. */
struct seen {
	unsigned calls[64];
	size_t n;
};

static void on_changed(struct status *st, unsigned changes, void *data)
{
	struct seen *s = data;

	g_assert_cmpuint(s->n, <, G_N_ELEMENTS(s->calls));
	s->calls[s->n++] = changes;
}

static const struct {
	bool camera, dialog, request, failed;
	enum status_state state;
} precedence[] = {
	{ false, false, false, false, STATUS_STATE_IDLE },
	{ false, false, false, true, STATUS_STATE_ERROR },
	{ false, false, true, false, STATUS_STATE_BUSY },
	{ false, false, true, true, STATUS_STATE_BUSY },
	{ false, true, false, false, STATUS_STATE_PROMPTING },
	{ false, true, true, true, STATUS_STATE_PROMPTING },
	{ true, false, false, false, STATUS_STATE_CAMERA },
	{ true, false, false, true, STATUS_STATE_CAMERA },
	{ true, true, true, false, STATUS_STATE_CAMERA },
	{ true, true, true, true, STATUS_STATE_CAMERA },
};

static void test_precedence(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(precedence); i++) {
		struct status *st = status_new();

		if (precedence[i].failed) {
			status_request_started(st, "https://a.kz");
			status_request_finished(st, "https://a.kz", "key.mismatch: expired");
		}
		if (precedence[i].request)
			status_request_started(st, "https://b.kz");
		if (precedence[i].dialog)
			status_dialog(st, true, "https://b.kz");
		if (precedence[i].camera)
			status_camera(st, true);
		run_loop();
		g_assert_cmpstr(status_state_name(status_get_state(st)), ==,
				status_state_name(precedence[i].state));
		st = status_free(st);
		g_assert_null(st);
	}
}

static void test_names(void)
{
	g_assert_cmpstr(status_state_name(STATUS_STATE_IDLE), ==, "idle");
	g_assert_cmpstr(status_state_name(STATUS_STATE_BUSY), ==, "busy");
	g_assert_cmpstr(status_state_name(STATUS_STATE_PROMPTING), ==, "prompting");
	g_assert_cmpstr(status_state_name(STATUS_STATE_CAMERA), ==, "camera");
	g_assert_cmpstr(status_state_name(STATUS_STATE_ERROR), ==, "error");
	g_assert_null(status_free(NULL));
}

#define DATA_INVALID "data.invalid: base64Data is not valid base64"

/* A request's life, and what the observer hears at each step. */
static void test_request_cycle(void)
{
	struct status *st = status_new();
	struct seen seen = { 0 };

	status_set_observer(st, on_changed, &seen);
	g_assert_cmpstr(status_get_active_origin(st), ==, "");
	g_assert_cmpstr(status_get_last_error(st), ==, "");

	status_connection_opened(st);
	status_request_started(st, "https://egov.kz");
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_BUSY);
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://egov.kz");
	status_request_finished(st, "https://egov.kz", DATA_INVALID);
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_ERROR);
	g_assert_cmpstr(status_get_active_origin(st), ==, "");
	g_assert_cmpstr(status_get_last_error(st), ==, DATA_INVALID);
	/* The next request ends the error; the last error stays. */
	status_request_started(st, "https://egov.kz");
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_BUSY);
	status_request_finished(st, "https://egov.kz", NULL);
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_IDLE);
	g_assert_cmpstr(status_get_last_error(st), ==, DATA_INVALID);
	/* Nothing changes: nobody is told. */
	status_set_pending(st, 0);
	status_connection_closed(st);
	status_connection_closed(st);
	g_assert_cmpuint(status_get_connections(st), ==, 0);
	status_set_pending(st, 2);
	g_assert_cmpuint(status_get_pending(st), ==, 2);

	g_assert_cmpuint(seen.n, ==, 7);
	g_assert_cmpuint(seen.calls[0], ==, STATUS_CHANGE_CONNECTIONS);
	g_assert_cmpuint(seen.calls[1], ==, STATUS_CHANGE_STATE | STATUS_CHANGE_ACTIVE_ORIGIN);
	g_assert_cmpuint(seen.calls[2], ==,
			 STATUS_CHANGE_STATE | STATUS_CHANGE_ACTIVE_ORIGIN |
				 STATUS_CHANGE_LAST_ERROR);
	g_assert_cmpuint(seen.calls[3], ==, STATUS_CHANGE_STATE | STATUS_CHANGE_ACTIVE_ORIGIN);
	g_assert_cmpuint(seen.calls[4], ==, STATUS_CHANGE_STATE | STATUS_CHANGE_ACTIVE_ORIGIN);
	g_assert_cmpuint(seen.calls[5], ==, STATUS_CHANGE_CONNECTIONS);
	g_assert_cmpuint(seen.calls[6], ==, STATUS_CHANGE_PENDING);

	/* Without an observer nothing is called. */
	status_set_observer(st, NULL, NULL);
	status_connection_opened(st);
	g_assert_cmpuint(seen.n, ==, 7);
	status_free(st);
}

/* The oldest open dialog names the origin, then the oldest request. */
static void test_active_origin(void)
{
	struct status *st = status_new();

	status_request_started(st, "https://a.kz");
	status_request_started(st, NULL);
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://a.kz");
	status_dialog(st, true, NULL);
	status_dialog(st, true, "https://c.kz");
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://a.kz"); /* not yet on the loop */
	run_loop();
	g_assert_cmpstr(status_get_active_origin(st), ==, STATUS_NO_ORIGIN);
	status_dialog(st, false, NULL);
	run_loop();
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://c.kz");
	status_dialog(st, false, "https://c.kz");
	run_loop();
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_BUSY);
	status_request_finished(st, "https://a.kz", NULL);
	g_assert_cmpstr(status_get_active_origin(st), ==, STATUS_NO_ORIGIN);
	status_request_finished(st, NULL, NULL);
	g_assert_cmpstr(status_get_active_origin(st), ==, "");
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_IDLE);
	status_free(st);
}

/* A camera preview with nothing else under way names its page; requests
 * and dialogs come first; a preview leaves State alone. */
static void test_preview_origin(void)
{
	struct status *st = status_new();
	struct seen seen = { 0 };

	status_set_observer(st, on_changed, &seen);
	status_preview(st, true, "https://p.kz");
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://p.kz");
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_IDLE);
	g_assert_cmpuint(seen.n, ==, 1);
	g_assert_cmpuint(seen.calls[0], ==, STATUS_CHANGE_ACTIVE_ORIGIN);
	status_camera(st, true);
	run_loop();
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_CAMERA);
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://p.kz");
	status_request_started(st, "https://r.kz");
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://r.kz");
	status_request_finished(st, "https://r.kz", NULL);
	status_preview(st, true, NULL);
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://p.kz");
	status_preview(st, false, "https://p.kz");
	g_assert_cmpstr(status_get_active_origin(st), ==, STATUS_NO_ORIGIN);
	status_preview(st, false, NULL);
	g_assert_cmpstr(status_get_active_origin(st), ==, "");
	/* Closing a preview that is not open changes nothing. */
	seen.n = 0;
	status_preview(st, false, "https://p.kz");
	g_assert_cmpuint(seen.n, ==, 0);
	status_camera(st, false);
	run_loop();
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_IDLE);
	status_free(st);
}

/* What goes to D-Bus is valid UTF-8; a long error is cut at a character. */
static void test_texts(void)
{
	struct status *st = status_new();
	g_autoptr(GString) long_error = g_string_new("xml: ");
	const char *e;

	status_request_started(st, "https://\xff.kz");
	g_assert_true(g_utf8_validate(status_get_active_origin(st), -1, NULL));
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://\xef\xbf\xbd.kz");
	status_request_finished(st, "https://\xff.kz", "file.not_found: /home/\xc0x");
	g_assert_cmpstr(status_get_last_error(st), ==, "file.not_found: /home/\xef\xbf\xbdx");
	g_assert_cmpstr(status_get_active_origin(st), ==, "");

	while (long_error->len < 2 * STATUS_ERROR_MAX)
		g_string_append(long_error, "қате ");
	status_request_started(st, NULL);
	status_request_finished(st, NULL, long_error->str);
	e = status_get_last_error(st);
	g_assert_true(g_utf8_validate(e, -1, NULL));
	g_assert_cmpuint(strlen(e), <=, STATUS_ERROR_MAX);
	g_assert_cmpuint(strlen(e), >, STATUS_ERROR_MAX - 6);
	g_assert_true(g_str_has_suffix(e, "…"));
	g_assert_true(strncmp(e, long_error->str, strlen(e) - strlen("…")) == 0);
	status_free(st);
}

struct thread_args {
	struct status *st;
	unsigned rounds;
};

static gpointer reporter(gpointer data)
{
	struct thread_args *a = data;

	for (unsigned i = 0; i < a->rounds; i++) {
		status_camera(a->st, true);
		status_dialog(a->st, true, "https://t.kz");
		status_dialog(a->st, false, "https://t.kz");
		status_camera(a->st, false);
	}
	status_dialog(a->st, true, "https://t.kz");
	return NULL;
}

/* Reports from threads wait for the loop and arrive in order. */
static void test_threads(void)
{
	struct status *st = status_new();
	struct seen seen = { 0 };
	struct thread_args a = { st, 10 };
	GThread *t;

	status_set_observer(st, on_changed, &seen);
	t = g_thread_new("reporter", reporter, &a);
	g_thread_join(t);
	g_assert_cmpuint(seen.n, ==, 0);
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_IDLE);
	run_loop();
	/* camera on, prompting under it (not a state change), off, prompting. */
	g_assert_cmpuint(seen.n, ==, 4 * a.rounds + 1);
	g_assert_cmpuint(seen.calls[0], ==, STATUS_CHANGE_STATE);
	g_assert_cmpuint(seen.calls[1], ==, STATUS_CHANGE_ACTIVE_ORIGIN);
	g_assert_cmpuint(seen.calls[2], ==, STATUS_CHANGE_ACTIVE_ORIGIN);
	g_assert_cmpuint(seen.calls[3], ==, STATUS_CHANGE_STATE);
	g_assert_cmpuint(seen.calls[4 * a.rounds], ==,
			 STATUS_CHANGE_STATE | STATUS_CHANGE_ACTIVE_ORIGIN);
	g_assert_cmpuint(status_get_state(st), ==, STATUS_STATE_PROMPTING);
	g_assert_cmpstr(status_get_active_origin(st), ==, "https://t.kz");
	status_free(st);
}

/* Reports still waiting when status goes are dropped, never delivered. */
static void test_free_drops_reports(void)
{
	struct status *st = status_new();
	struct seen seen = { 0 };

	status_set_observer(st, on_changed, &seen);
	status_camera(st, true);
	status_dialog(st, true, "https://a.kz");
	status_free(st);
	run_loop();
	g_assert_cmpuint(seen.n, ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/status/precedence", test_precedence);
	g_test_add_func("/status/names", test_names);
	g_test_add_func("/status/request-cycle", test_request_cycle);
	g_test_add_func("/status/active-origin", test_active_origin);
	g_test_add_func("/status/preview-origin", test_preview_origin);
	g_test_add_func("/status/texts", test_texts);
	g_test_add_func("/status/threads", test_threads);
	g_test_add_func("/status/free-drops-reports", test_free_drops_reports);
	return g_test_run();
}
