# crypto/xmldsig: enveloped XML signatures as NCALayer lays them out.
daemon_libqoltanbad_a_SOURCES += \
	daemon/crypto/xmldsig.c \
	daemon/crypto/xmldsig.h \
	$(NULL)
daemon_libqoltanbad_a_CPPFLAGS += $(LIBXML_CFLAGS)
DAEMON_LIBS += $(LIBXML_LIBS)

# The unit test signs with throw-away keys made here, in the build tree,
# and checks every signature with a second implementation (xmlsec1).
check_PROGRAMS += tests/unit/test-xmldsig
unit_tests += tests/unit/test-xmldsig
tests_unit_test_xmldsig_SOURCES = tests/unit/test-xmldsig.c
tests_unit_test_xmldsig_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DXMLDSIG_TEST_KEYS='"$(abs_top_builddir)/tests/unit"' \
	-DXMLDSIG_TEST_DATA='"$(abs_top_srcdir)/tests/data/xml"'
tests_unit_test_xmldsig_LDADD = daemon/libqoltanbad.a $(LIBXML_LIBS) $(OPENSSL_LIBS) \
	$(JSONC_LIBS) $(GLIB_LIBS)

xmldsig_test_keys = \
	tests/unit/xmldsig-rsa.pem \
	tests/unit/xmldsig-ec.pem \
	$(NULL)
tests_unit_test_xmldsig_DEPENDENCIES = daemon/libqoltanbad.a $(xmldsig_test_keys)

# Each .pem holds the key and its self-signed certificate; the .crt only
# the certificate (what xmlsec1 is told to trust).
tests/unit/xmldsig-rsa.pem:
	$(AM_V_GEN)$(MKDIR_P) tests/unit && \
	$(OPENSSL_BIN) req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
		-subj "/CN=Qoltanba XMLDSig test RSA" -keyout $@.key -out $@.crt 2>/dev/null && \
	cat $@.key $@.crt > $@ && rm -f $@.key
tests/unit/xmldsig-ec.pem:
	$(AM_V_GEN)$(MKDIR_P) tests/unit && \
	$(OPENSSL_BIN) req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-sha256 -subj "/CN=Qoltanba XMLDSig test ECDSA" -keyout $@.key -out $@.crt \
		2>/dev/null && \
	cat $@.key $@.crt > $@ && rm -f $@.key

CLEANFILES += \
	$(xmldsig_test_keys) \
	tests/unit/xmldsig-rsa.pem.crt \
	tests/unit/xmldsig-ec.pem.crt \
	$(NULL)

EXTRA_DIST += \
	tests/data/xml/gost512-simple.input.xml \
	tests/data/xml/gost512-simple.signed.xml \
	tests/data/xml/gost512-cert.pem \
	$(NULL)
