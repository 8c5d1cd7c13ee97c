/* bus: the daemon's status on the session bus, for the tray icon and for
 * scripts (protocol/PROTOCOL.md "D-Bus status interface").
 *
 * Name kz.qoltanba.Daemon, object /kz/qoltanba/Daemon, interface
 * kz.qoltanba.Daemon1: the properties of struct status (daemon/status.h),
 * each change sent as org.freedesktop.DBus.Properties.PropertiesChanged;
 * ListAllowedOrigins() and RevokeOrigin() over the remembered camera
 * consents (daemon/ui/consent.h); Quit().
 *
 * D-Bus is optional: without a session bus the daemon serves as before.
 * The connection runs on the GLib main loop (daemon/bus/source.h) and
 * every sd-bus call is made on the loop's thread. */
#pragma once

#include "daemon/config.h"
#include "daemon/status.h"

#define BUS_NAME "kz.qoltanba.Daemon"
#define BUS_PATH "/kz/qoltanba/Daemon"
#define BUS_INTERFACE "kz.qoltanba.Daemon1"

struct bus;

/* What Quit() does: stop the main loop. */
typedef void (*bus_quit_fn)(void *data);

/* Connect to the session bus (sd_bus_open_user()), publish the object,
 * watch st, and ask for the name. The name's answer comes later: when
 * another process owns the name, that is logged and the object is taken
 * down again; the daemon goes on without it.
 * Returns NULL, after one log line, when there is no session bus or the
 * object cannot be published. cfg (its state_dir holds the consents) and
 * st are borrowed and must outlive the bus. Main loop only. */
struct bus *bus_new(const struct config *cfg, struct status *st, bus_quit_fn quit, void *data);

/* Stop watching st, send what is still queued (the answer to Quit()) and
 * close. Accepts NULL, returns NULL. */
struct bus *bus_free(struct bus *b);
