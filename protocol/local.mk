# protocol/: NCALayer's wire format (lenient JSON in, org.json-shaped JSON
# out, module and method tables, argument checks). json-c and libc only;
# no I/O, no crypto. GLib only in the tests.
noinst_LIBRARIES += protocol/libqolprotocol.a
protocol_libqolprotocol_a_SOURCES = \
	protocol/json.c \
	protocol/json.h \
	protocol/json-scalar.c \
	protocol/json-write.c \
	protocol/utf8.c \
	protocol/internal.h \
	protocol/protocol.h \
	protocol/request.c \
	protocol/commonutils.c \
	protocol/basics.c \
	protocol/enroll.c \
	protocol/camera.c \
	protocol/errors.c \
	$(NULL)
protocol_libqolprotocol_a_CPPFLAGS = $(AM_CPPFLAGS) $(JSONC_CFLAGS)

EXTRA_DIST += protocol/PROTOCOL.md

# The unit tests read tests/data/ of the source tree; the path is compiled
# in so that a test binary also runs by hand, outside `make check`.
PROTOCOL_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(JSONC_CFLAGS) $(GLIB_CFLAGS) \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\"
PROTOCOL_TEST_LIBS = protocol/libqolprotocol.a $(JSONC_LIBS) $(GLIB_LIBS)

check_PROGRAMS += tests/unit/test-json tests/unit/test-protocol
unit_tests += tests/unit/test-json tests/unit/test-protocol

tests_unit_test_json_SOURCES = tests/unit/test-json.c
tests_unit_test_json_CPPFLAGS = $(PROTOCOL_TEST_CPPFLAGS)
tests_unit_test_json_LDADD = $(PROTOCOL_TEST_LIBS)

tests_unit_test_protocol_SOURCES = tests/unit/test-protocol.c
tests_unit_test_protocol_CPPFLAGS = $(PROTOCOL_TEST_CPPFLAGS)
tests_unit_test_protocol_LDADD = $(PROTOCOL_TEST_LIBS)
