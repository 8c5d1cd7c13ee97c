# bus/: the daemon's status on the session bus (sd-bus on the GLib loop).
# Included after daemon/local.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/bus/bus.c \
	daemon/bus/bus.h \
	daemon/bus/source.c \
	daemon/bus/source.h \
	$(NULL)

# The D-Bus service file is made in systemd/local.mk.

# Watches and calls the status object on a private bus for
# tests/integration/bus.mjs.
check_PROGRAMS += tests/helpers/bus-client
tests_helpers_bus_client_SOURCES = tests/helpers/bus-client.c
tests_helpers_bus_client_CPPFLAGS = $(AM_CPPFLAGS) $(SYSTEMD_CFLAGS) $(JSONC_CFLAGS)
tests_helpers_bus_client_LDADD = $(SYSTEMD_LIBS) $(JSONC_LIBS)
