# systemd user units. qoltanba.socket holds NCALayer's port and starts
# qoltanba.service on the first connection; the service's ExecStart= is
# filled in from qoltanba.service.in at make time, so `make bindir=…` and
# `make install prefix=…` count as automake's own scripts do.
# exposure-max: the highest `systemd-analyze security` exposure the
# service may have (tests/integration/systemd.mjs checks it).
dist_systemduserunit_DATA = systemd/qoltanba.socket
nodist_systemduserunit_DATA = systemd/qoltanba.service
CLEANFILES += systemd/qoltanba.service
EXTRA_DIST += systemd/qoltanba.service.in systemd/exposure-max

systemd/qoltanba.service: $(srcdir)/systemd/qoltanba.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	$(SED) -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/systemd/qoltanba.service.in > $@.tmp && \
	mv $@.tmp $@
