# crypto/: OpenSSL and libxml2 only. CMS/CAdES, XMLDSig, NCA's GOST.
daemon_libqoltanbad_a_SOURCES += \
	daemon/crypto/signer.c \
	daemon/crypto/signer.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-signer
unit_tests += tests/unit/test-signer
tests_unit_test_signer_SOURCES = tests/unit/test-signer.c
tests_unit_test_signer_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
tests_unit_test_signer_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)
