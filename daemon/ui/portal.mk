# The desktop portal's file and folder choosers (xdg-desktop-portal over
# sd-bus). qoltanbad already links $(SYSTEMD_LIBS) through DAEMON_LIBS.
daemon_libqoltanbad_a_SOURCES += \
	daemon/ui/portal.c \
	daemon/ui/portal.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-portal tests/helpers/portal-stub
unit_tests += tests/unit/test-portal
tests_unit_test_portal_SOURCES = tests/unit/test-portal.c
tests_unit_test_portal_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DPORTAL_STUB=\"$(abs_top_builddir)/tests/helpers/portal-stub\"
tests_unit_test_portal_LDADD = daemon/libqoltanbad.a $(GLIB_LIBS) $(SYSTEMD_LIBS)

# A stand-in for xdg-desktop-portal's FileChooser on a private bus.
tests_helpers_portal_stub_SOURCES = tests/helpers/portal-stub.c
tests_helpers_portal_stub_CPPFLAGS = $(AM_CPPFLAGS) $(SYSTEMD_CFLAGS)
tests_helpers_portal_stub_LDADD = $(SYSTEMD_LIBS)
