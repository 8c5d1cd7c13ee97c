# Fuzzing (tests/fuzz/README.md). Each harness tests/fuzz/fuzz-<target>.c
# defines LLVMFuzzerTestOneInput(); its seeds and the crashers found so far
# are in tests/fuzz/corpus/<target>/.
#
# ./configure --enable-fuzz CC=clang: tests/fuzz/fuzz-<target>, libFuzzer
# programs (make tests/fuzz/fuzz-request, or make fuzz).
# Otherwise: make check replays each corpus through the same harness with
# tests/fuzz/replay.c (tests/fuzz/replay-<target>, TAP, one point a file).

FUZZ_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DFUZZ_DATA_DIR=\"$(abs_top_srcdir)/tests/data\"

fuzz_request_sources = tests/fuzz/fuzz-request.c
fuzz_pkcs12_sources = tests/fuzz/fuzz-pkcs12.c
fuzz_xml_sources = tests/fuzz/fuzz-xml.c tests/fuzz/fuzz-keys.c tests/fuzz/fuzz-keys.h
fuzz_cms_sources = tests/fuzz/fuzz-cms.c tests/fuzz/fuzz-keys.c tests/fuzz/fuzz-keys.h
fuzz_cert_sources = tests/fuzz/fuzz-cert.c tests/fuzz/fuzz-keys.c tests/fuzz/fuzz-keys.h

if FUZZ
fuzz_programs = \
	tests/fuzz/fuzz-request \
	tests/fuzz/fuzz-pkcs12 \
	tests/fuzz/fuzz-xml \
	tests/fuzz/fuzz-cms \
	tests/fuzz/fuzz-cert \
	$(NULL)
noinst_PROGRAMS += $(fuzz_programs)

tests_fuzz_fuzz_request_SOURCES = $(fuzz_request_sources)
tests_fuzz_fuzz_request_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_request_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_request_LDADD = $(DAEMON_LIBS)
tests_fuzz_fuzz_pkcs12_SOURCES = $(fuzz_pkcs12_sources)
tests_fuzz_fuzz_pkcs12_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_pkcs12_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_pkcs12_LDADD = $(DAEMON_LIBS)
tests_fuzz_fuzz_xml_SOURCES = $(fuzz_xml_sources)
tests_fuzz_fuzz_xml_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_xml_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_xml_LDADD = $(DAEMON_LIBS)
tests_fuzz_fuzz_cms_SOURCES = $(fuzz_cms_sources)
tests_fuzz_fuzz_cms_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_cms_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cms_LDADD = $(DAEMON_LIBS)
tests_fuzz_fuzz_cert_SOURCES = $(fuzz_cert_sources)
tests_fuzz_fuzz_cert_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_cert_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cert_LDADD = $(DAEMON_LIBS)

fuzz: $(fuzz_programs)
else
fuzz_replays = \
	tests/fuzz/replay-request \
	tests/fuzz/replay-pkcs12 \
	tests/fuzz/replay-xml \
	tests/fuzz/replay-cms \
	tests/fuzz/replay-cert \
	$(NULL)
check_PROGRAMS += $(fuzz_replays)
unit_tests += $(fuzz_replays)

tests_fuzz_replay_request_SOURCES = $(fuzz_request_sources) tests/fuzz/replay.c
tests_fuzz_replay_request_CPPFLAGS = $(FUZZ_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR=\"$(abs_top_srcdir)/tests/fuzz/corpus/request\"
tests_fuzz_replay_request_LDADD = $(DAEMON_LIBS)
tests_fuzz_replay_pkcs12_SOURCES = $(fuzz_pkcs12_sources) tests/fuzz/replay.c
tests_fuzz_replay_pkcs12_CPPFLAGS = $(FUZZ_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR=\"$(abs_top_srcdir)/tests/fuzz/corpus/pkcs12\"
tests_fuzz_replay_pkcs12_LDADD = $(DAEMON_LIBS)
tests_fuzz_replay_xml_SOURCES = $(fuzz_xml_sources) tests/fuzz/replay.c
tests_fuzz_replay_xml_CPPFLAGS = $(FUZZ_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR=\"$(abs_top_srcdir)/tests/fuzz/corpus/xml\"
tests_fuzz_replay_xml_LDADD = $(DAEMON_LIBS)
tests_fuzz_replay_cms_SOURCES = $(fuzz_cms_sources) tests/fuzz/replay.c
tests_fuzz_replay_cms_CPPFLAGS = $(FUZZ_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR=\"$(abs_top_srcdir)/tests/fuzz/corpus/cms\"
tests_fuzz_replay_cms_LDADD = $(DAEMON_LIBS)
tests_fuzz_replay_cert_SOURCES = $(fuzz_cert_sources) tests/fuzz/replay.c
tests_fuzz_replay_cert_CPPFLAGS = $(FUZZ_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR=\"$(abs_top_srcdir)/tests/fuzz/corpus/cert\"
tests_fuzz_replay_cert_LDADD = $(DAEMON_LIBS)
endif

# make fuzz: the libFuzzer programs (--enable-fuzz only).
.PHONY: fuzz

EXTRA_DIST += \
	tests/fuzz/README.md \
	tests/fuzz/corpus \
	$(NULL)
