# web/testca/: a test certification authority issuing NCA-shaped
# certificates: a library the demo portal can reuse and a CLI.
noinst_LIBRARIES += web/testca/libqoltanbatestca.a
web_testca_libqoltanbatestca_a_SOURCES = \
	web/testca/profile.c \
	web/testca/profile.h \
	web/testca/testca.c \
	web/testca/testca.h \
	$(NULL)
web_testca_libqoltanbatestca_a_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)

TESTCA_LIBS = web/testca/libqoltanbatestca.a daemon/libqoltanbad.a $(OPENSSL_LIBS)

noinst_PROGRAMS += web/testca/qoltanba-testca
web_testca_qoltanba_testca_SOURCES = web/testca/qoltanba-testca.c
web_testca_qoltanba_testca_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
web_testca_qoltanba_testca_LDADD = $(TESTCA_LIBS)

check_PROGRAMS += tests/unit/test-testca
unit_tests += tests/unit/test-testca
tests_unit_test_testca_SOURCES = tests/unit/test-testca.c
tests_unit_test_testca_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(GLIB_CFLAGS) \
	-DTESTCA_CLI=\"$(abs_top_builddir)/web/testca/qoltanba-testca\"
tests_unit_test_testca_LDADD = $(TESTCA_LIBS) $(GLIB_LIBS)
# The test also drives the CLI.
EXTRA_tests_unit_test_testca_DEPENDENCIES = web/testca/qoltanba-testca
