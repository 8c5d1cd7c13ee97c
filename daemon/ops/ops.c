#include "daemon/ops/ops.h"

#include <glib.h>
#include <stdlib.h>

#include "util/log.h"

struct ops_call {
	char *reply;
	ops_reply_fn reply_fn;
	void *userdata;
	guint timeout_id;
};

static gboolean call_deliver(gpointer data)
{
	struct ops_call *call = data;

	call->timeout_id = 0;
	call->reply_fn(call->reply, call->userdata);
	g_free(call);
	return G_SOURCE_REMOVE;
}

char *ops_reply_unavailable(const struct proto_request *req)
{
	return proto_reply_error(req, PROTO_ERROR_UNAVAILABLE,
				 "this release of Qoltanba has no key sources yet");
}

void ops_call_cancel(struct ops_call *call)
{
	if (!call)
		return;
	if (call->timeout_id)
		g_source_remove(call->timeout_id);
	free(call->reply);
	g_free(call);
}

struct ops_call *ops_serve(const struct ops_env *env, struct ops_session *session,
			   struct proto_request *req, ops_reply_fn reply_fn, void *userdata)
{
	struct ops_call *call;
	char *reply = NULL;

	switch (req->module) {
	case PROTO_MODULE_COMMON_UTILS:
		reply = ops_commonutils_serve(env, session, req);
		break;
	case PROTO_MODULE_BASICS:
		reply = ops_basics_serve(env, session, req);
		break;
	case PROTO_MODULE_APPLET:
	case PROTO_MODULE_NONE:
		/* The protocol layer answers these itself (req->reply). */
		reply = proto_reply_error(req, PROTO_ERROR_INTERNAL, NULL);
		break;
	}
	log_debug("%s %s.%s answered", session->origin ? session->origin : "(no origin)",
		 req->module == PROTO_MODULE_BASICS ? "basics" : "commonUtils",
		 req->method_name ? req->method_name : "?");
	proto_request_free(req);

	if (env->cfg->response_delay_ms == 0) {
		reply_fn(reply, userdata);
		return NULL;
	}
	/* [testing] response-delay-ms: hold the answer, as a long signing
	 * dialog would, so the session rules can be exercised. */
	call = g_new0(struct ops_call, 1);
	*call = (struct ops_call){ .reply = reply, .reply_fn = reply_fn, .userdata = userdata };
	call->timeout_id = g_timeout_add(env->cfg->response_delay_ms, call_deliver, call);
	return call;
}
