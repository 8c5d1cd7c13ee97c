/* remote: qoltanbad as the tray sees it, over the session bus.
 *
 * It follows the owner of kz.qoltanba.Daemon (NameOwnerChanged): when
 * the daemon appears, its properties are read (GetAll) and the allowed
 * sites listed; PropertiesChanged keeps them current; when it goes away,
 * the status says "not running". A daemon that restarts is followed. The
 * tray never starts the daemon: every call goes out without auto-start.
 *
 * The allowed sites are listed again when the daemon appears, when it
 * becomes idle or reports an error (a request that may have granted
 * consent is over), after a revocation, and on remote_list_sites().
 *
 * Callbacks run from sd-bus dispatch on the main loop; the remote may not
 * be freed from inside one. */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "tray/view.h"

#define REMOTE_NAME "kz.qoltanba.Daemon"
#define REMOTE_PATH "/kz/qoltanba/Daemon"
#define REMOTE_INTERFACE "kz.qoltanba.Daemon1"

/* How long Quit() may take before the tray stops waiting for it. */
#define REMOTE_QUIT_TIMEOUT_USEC (5 * 1000 * 1000ULL)

enum {
	REMOTE_E_NOT_RUNNING = 1, /* the daemon is not on the bus */
};

struct remote_ops {
	/* The status changed (remote_get_status()). */
	void (*changed)(void *data);
	/* The allowed sites (NULL-terminated, borrowed for the call); NULL
	 * when the daemon went away. */
	void (*sites)(char *const *sites, void *data);
	/* Quit() was answered, failed, or timed out. */
	void (*quit_done)(void *data);
};

struct remote;

/* Start following the daemon on bus. ops and data are borrowed and must
 * outlive the remote. Returns 0, or a negative errno from sd-bus. */
int remote_new(sd_bus *bus, const struct remote_ops *ops, void *data, struct remote **ret);
/* Pending calls are dropped, their callbacks never run. Accepts NULL,
 * returns NULL. */
struct remote *remote_free(struct remote *r);

/* The status as last heard; the strings are borrowed until the next
 * callback. */
void remote_get_status(const struct remote *r, struct tray_status *ret);

/* List the allowed sites (ListAllowedOrigins()); the answer comes to
 * ops->sites. Returns 0, REMOTE_E_NOT_RUNNING, or a negative errno. */
int remote_list_sites(struct remote *r);
/* RevokeOrigin(origin), then list the sites again. Returns as above. */
int remote_revoke(struct remote *r, const char *origin);
/* Ask the session bus to start the daemon (StartServiceByName, through
 * its D-Bus service file; under systemd, qoltanba.service). The daemon
 * shows up through the usual ops->changed once it owns its name; a
 * failure is logged. Returns 0, -EALREADY when it runs, or a negative
 * errno. */
int remote_start(struct remote *r);
/* Quit(); ops->quit_done follows. Returns as above: with
 * REMOTE_E_NOT_RUNNING, ops->quit_done does not run. */
int remote_quit(struct remote *r);
