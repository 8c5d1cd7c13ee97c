# The prompter: pinentry for passwords, PINs and confirmations.
daemon_libqoltanbad_a_SOURCES += \
	daemon/ui/pinentry.c \
	daemon/ui/pinentry.h \
	daemon/ui/prompter.c \
	daemon/ui/prompter.h \
	daemon/ui/consent.c \
	daemon/ui/consent.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-pinentry
unit_tests += tests/unit/test-pinentry
tests_unit_test_pinentry_SOURCES = tests/unit/test-pinentry.c
tests_unit_test_pinentry_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DPINENTRY_SCRIPT_DIR=\"$(abs_top_srcdir)/tests/helpers\"
tests_unit_test_pinentry_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)
EXTRA_DIST += tests/helpers/pinentry-script

check_PROGRAMS += tests/unit/test-prompter
unit_tests += tests/unit/test-prompter
tests_unit_test_prompter_SOURCES = tests/unit/test-prompter.c
tests_unit_test_prompter_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DPINENTRY_SCRIPT_DIR=\"$(abs_top_srcdir)/tests/helpers\"
tests_unit_test_prompter_LDADD = $(DAEMON_LIBS)
