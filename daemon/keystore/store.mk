# keystore/: writing key files and keeping pending enrollment keys.
daemon_libqoltanbad_a_SOURCES += \
	util/safefile.c \
	util/safefile.h \
	daemon/keystore/pending.c \
	daemon/keystore/pending.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-safefile
unit_tests += tests/unit/test-safefile
tests_unit_test_safefile_SOURCES = tests/unit/test-safefile.c
tests_unit_test_safefile_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
tests_unit_test_safefile_LDADD = daemon/libqoltanbad.a $(GLIB_LIBS)

check_PROGRAMS += tests/unit/test-pending
unit_tests += tests/unit/test-pending
tests_unit_test_pending_SOURCES = tests/unit/test-pending.c
tests_unit_test_pending_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
tests_unit_test_pending_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(JSONC_LIBS) $(GLIB_LIBS)

# Writes NCA-layout files and reads them back with the loaders and with
# the openssl program ($(OPENSSL_BIN), exported as OPENSSL to tests).
check_PROGRAMS += tests/unit/test-pkcs12-write
unit_tests += tests/unit/test-pkcs12-write
tests_unit_test_pkcs12_write_SOURCES = tests/unit/test-pkcs12-write.c
tests_unit_test_pkcs12_write_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\" \
	-DTEST_KEYS_DIR=\"$(keys_test_dir)\"
tests_unit_test_pkcs12_write_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)
tests_unit_test_pkcs12_write_DEPENDENCIES = daemon/libqoltanbad.a $(keys_test_stamp)
