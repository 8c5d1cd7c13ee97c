# NCA RK's GOST 34.10-2015-512: Streebog through OpenSSL's gost provider,
# the signature scheme on OpenSSL's EC primitives, NCA's .p12 keys.
# Included after daemon/local.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/crypto/kzgost.c \
	daemon/crypto/kzgost.h \
	daemon/crypto/streebog.c \
	daemon/crypto/streebog.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-kzgost
unit_tests += tests/unit/test-kzgost
tests_unit_test_kzgost_SOURCES = tests/unit/test-kzgost.c
tests_unit_test_kzgost_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\"
tests_unit_test_kzgost_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)

EXTRA_DIST += \
	tests/data/gost/README \
	tests/data/gost/vectors.txt \
	tests/data/gost/root_test_gost_2022.cer \
	tests/data/gost/nca_gost2022_test.cer \
	tests/data/gost/information-system-revoked-GOST512_a9b9aa98acacb27cc78f8744c8334c3cfd8aeca5.p12 \
	tests/data/gost/information-system-valid-GOST512_aa30cf5ab17b98d1b18bc3540943e444e183f2e6.p12 \
	tests/data/gost/org-employee-revoked-GOST512_e206ab46b453bc03ca2ae61ede57216e89eb57e8.p12 \
	tests/data/gost/org-employee-valid-GOST512_54dd66e1fa6770f8401a24130ba4b8792d7c3579.p12 \
	tests/data/gost/org-head-revoked-GOST512_247d879996b173e1d1b3ee66c04265871ecbcf9d.p12 \
	tests/data/gost/org-head-valid-GOST512_0f923a405e7a60ef08debcf4715d7f818637b82b.p12 \
	tests/data/gost/org-signer-revoked-GOST512_cfcb79c304dcca9cb06c2d4aea46dd5eccd8d803.p12 \
	tests/data/gost/org-signer-valid-GOST512_a69b258320a0d289ec98aef354f990fd168b472f.p12 \
	tests/data/gost/person-revoked-GOST512_36ab73273b4922617b0c4c781f3e02db2e017cc6.p12 \
	tests/data/gost/person-valid-GOST512_d6d1e53515d516a7d95d399b668cf09011bf118d.p12 \
	tests/data/gost/treasury-client-revoked-GOST512_57b7f24a493e74584be33f92a0919513f4162437.p12 \
	tests/data/gost/treasury-client-valid-GOST512_8b986305689a46bd3783c26cc31f33254e9f031e.p12 \
	$(NULL)
