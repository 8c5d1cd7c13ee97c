# tray/: qoltanba-tray, the StatusNotifierItem tray icon (tray/README.md).
# It runs sd-bus on GLib's loop with the daemon's source (daemon/bus/source.c).
bin_PROGRAMS += tray/qoltanba-tray
tray_qoltanba_tray_SOURCES = \
	tray/main.c \
	tray/item.c \
	tray/item.h \
	tray/menu.c \
	tray/menu.h \
	tray/remote.c \
	tray/remote.h \
	tray/view.c \
	tray/view.h \
	tray/text.c \
	tray/text.h \
	tray/logview.c \
	tray/logview.h \
	daemon/bus/source.c \
	daemon/bus/source.h \
	util/cleanup.h \
	$(NULL)
tray_qoltanba_tray_CPPFLAGS = $(AM_CPPFLAGS) $(GLIB_CFLAGS) $(SYSTEMD_CFLAGS) \
	-DG_LOG_DOMAIN=\"qoltanba-tray\"
tray_qoltanba_tray_LDADD = $(GLIB_LIBS) $(SYSTEMD_LIBS)

# Desktop sessions without graphical-session.target start the tray from
# its XDG autostart entry (configure --with-xdgautostartdir); under
# systemd, the user unit qoltanba-tray.service (systemd/) starts it. A
# second tray in one session sees the first and exits.
trayautostartdir = $(xdgautostartdir)
dist_trayautostart_DATA = tray/qoltanba-tray.desktop
EXTRA_DIST += tray/README.md

# What the tray shows for each state, in each language.
check_PROGRAMS += tests/unit/test-tray-view
unit_tests += tests/unit/test-tray-view
tests_unit_test_tray_view_SOURCES = tests/unit/test-tray-view.c tray/view.c tray/text.c
tests_unit_test_tray_view_CPPFLAGS = $(AM_CPPFLAGS) $(GLIB_CFLAGS)
tests_unit_test_tray_view_LDADD = $(GLIB_LIBS)

# The desktop's side for tests/integration/tray.mjs: a StatusNotifierWatcher
# that also reads the item and drives its menu, as a tray host does.
check_PROGRAMS += tests/helpers/sni-watcher
tests_helpers_sni_watcher_SOURCES = tests/helpers/sni-watcher.c
tests_helpers_sni_watcher_CPPFLAGS = $(AM_CPPFLAGS) $(SYSTEMD_CFLAGS)
tests_helpers_sni_watcher_LDADD = $(SYSTEMD_LIBS)
