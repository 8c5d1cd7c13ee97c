# keystore/: card presence over PC/SC (pcsc.c: a thread with libpcsclite)
# and the token map (tokenmap.c) that says which NCALayer token storage a
# card is. The built-in map, tokens.map, is installed to $(pkgdatadir).
# Included from daemon/keystore/local.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/keystore/tokenmap.c \
	daemon/keystore/tokenmap.h \
	daemon/keystore/pcsc.c \
	daemon/keystore/pcsc.h \
	$(NULL)

dist_pkgdata_DATA = daemon/keystore/tokens.map

# The map's syntax, matching and precedence, the shipped map, and the
# [token-atr] / [token-reader] configuration.
check_PROGRAMS += tests/unit/test-pcsc-map
unit_tests += tests/unit/test-pcsc-map
tests_unit_test_pcsc_map_SOURCES = tests/unit/test-pcsc-map.c
tests_unit_test_pcsc_map_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTOKENS_MAP_SRC=\"$(abs_top_srcdir)/daemon/keystore/tokens.map\"
tests_unit_test_pcsc_map_LDADD = $(DAEMON_LIBS)
