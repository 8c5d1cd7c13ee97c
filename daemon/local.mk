# The daemon: everything but main.c goes into a private library so that
# the unit tests can link the pieces they need.
noinst_LIBRARIES += daemon/libqoltanbad.a
daemon_libqoltanbad_a_SOURCES = \
	util/cleanup.h \
	util/log.c \
	util/log.h \
	daemon/config.c \
	daemon/config.h \
	daemon/status.c \
	daemon/status.h \
	daemon/ops/ops.c \
	daemon/ops/ops.h \
	daemon/ops/commonutils.c \
	daemon/ops/basics.c \
	daemon/ops/enroll.c \
	daemon/ops/camera.c \
	daemon/ops/keys.c \
	daemon/ops/sign.c \
	daemon/ops/sign.h \
	daemon/ops/token-enroll.c \
	daemon/ops/token-key.c \
	daemon/ops/tokens.c \
	daemon/ops/tokens.h \
	daemon/ops/work.h \
	daemon/server/gate.c \
	daemon/server/gate.h \
	daemon/server/listen.c \
	daemon/server/listen.h \
	daemon/server/server.c \
	daemon/server/server.h \
	$(NULL)
daemon_libqoltanbad_a_CPPFLAGS = $(AM_CPPFLAGS) $(GLIB_CFLAGS) $(JSONC_CFLAGS) $(GST_CFLAGS) \
	$(OPENSSL_CFLAGS) $(LWS_CFLAGS) $(SYSTEMD_CFLAGS) $(PCSC_CFLAGS) $(P11KIT_CFLAGS) \
	-DQOL_PKGDATADIR=\"$(pkgdatadir)\"

DAEMON_LIBS = daemon/libqoltanbad.a protocol/libqolprotocol.a $(GST_LIBS) \
	$(LWS_LIBS) $(OPENSSL_LIBS) $(JSONC_LIBS) $(GLIB_LIBS) $(SYSTEMD_LIBS) $(PCSC_LIBS) $(P11KIT_LIBS)

bin_PROGRAMS += daemon/qoltanbad
daemon_qoltanbad_SOURCES = daemon/main.c
daemon_qoltanbad_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
daemon_qoltanbad_LDADD = $(DAEMON_LIBS)

dist_man_MANS += doc/qoltanbad.8

check_PROGRAMS += tests/unit/test-status
unit_tests += tests/unit/test-status
tests_unit_test_status_SOURCES = tests/unit/test-status.c
tests_unit_test_status_CPPFLAGS = $(AM_CPPFLAGS) $(GLIB_CFLAGS)
tests_unit_test_status_LDADD = daemon/libqoltanbad.a $(GLIB_LIBS)
