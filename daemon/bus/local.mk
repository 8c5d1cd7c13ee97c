# bus/: the daemon's status on the session bus (sd-bus on the GLib loop),
# and the D-Bus service file that lets the bus start qoltanbad (through
# qoltanba.service under systemd). Included after daemon/local.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/bus/bus.c \
	daemon/bus/bus.h \
	daemon/bus/source.c \
	daemon/bus/source.h \
	$(NULL)

# The service file's Exec= is filled in at make time, as for
# systemd/qoltanba.service, so that `make install prefix=…` counts.
dbussessionservice_DATA = systemd/kz.qoltanba.Daemon.service
CLEANFILES += systemd/kz.qoltanba.Daemon.service
EXTRA_DIST += systemd/kz.qoltanba.Daemon.service.in

systemd/kz.qoltanba.Daemon.service: $(srcdir)/systemd/kz.qoltanba.Daemon.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	$(SED) -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/systemd/kz.qoltanba.Daemon.service.in > $@.tmp && \
	mv $@.tmp $@

# Watches and calls the status object on a private bus for
# tests/integration/bus.mjs.
check_PROGRAMS += tests/helpers/bus-client
tests_helpers_bus_client_SOURCES = tests/helpers/bus-client.c
tests_helpers_bus_client_CPPFLAGS = $(AM_CPPFLAGS) $(SYSTEMD_CFLAGS) $(JSONC_CFLAGS)
tests_helpers_bus_client_LDADD = $(SYSTEMD_LIBS) $(JSONC_LIBS)
