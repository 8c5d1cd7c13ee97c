/* item: the tray icon, an org.kde.StatusNotifierItem (the KDE and
 * freedesktop StatusNotifierItem specification) at ITEM_PATH, owned
 * under the name org.kde.StatusNotifierItem-<pid>-1.
 *
 * The item registers with org.kde.StatusNotifierWatcher, the desktop's
 * tray host, and again whenever a watcher appears on the bus (a desktop
 * shell restarting, or starting after the tray). Without a watcher it
 * waits for one.
 *
 * It shows a struct view: Status and IconName (AttentionIconName is the
 * same icon, for hosts that show it while the item needs attention), the
 * ToolTip with the title "Qoltanba", and the Menu (ItemIsMenu: a click
 * opens the menu; the item has no methods of its own). NewStatus,
 * NewIcon with NewAttentionIcon, and NewToolTip say what changed. */
#pragma once

#include <systemd/sd-bus.h>

#include "tray/view.h"

#define ITEM_PATH "/StatusNotifierItem"
#define ITEM_INTERFACE "org.kde.StatusNotifierItem"
#define ITEM_TITLE "Qoltanba"

struct item;

/* Own the item's name, export it with menu_path as its menu, and
 * register. Returns 0, or a negative errno from sd-bus. */
int item_new(sd_bus *bus, const char *menu_path, struct item **ret);
/* Accepts NULL, returns NULL. */
struct item *item_free(struct item *it);

/* Show v (copied) and signal what changed. */
void item_show(struct item *it, const struct view *v);
