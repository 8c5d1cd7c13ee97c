# systemd user units. qoltanba.socket holds NCALayer's port and starts
# qoltanba.service on the first connection. The service's ExecStart= is
# filled in from qoltanba.service.in by every make, make install included
# (the file is replaced only when it changes), so that `make install
# prefix=…` after a plain `make` installs a unit that names the installed
# daemon.
# exposure-max: the highest `systemd-analyze security` exposure the
# service may have (tests/integration/systemd.mjs checks it).
dist_systemduserunit_DATA = systemd/qoltanba.socket
nodist_systemduserunit_DATA = systemd/qoltanba.service
CLEANFILES += systemd/qoltanba.service
EXTRA_DIST += systemd/qoltanba.service.in systemd/exposure-max

systemd/qoltanba.service: $(srcdir)/systemd/qoltanba.service.in systemd-bindir
	$(AM_V_at)$(MKDIR_P) systemd && \
	$(SED) -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/systemd/qoltanba.service.in > $@.tmp && \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else echo "  GEN      $@"; mv $@.tmp $@; fi
systemd-bindir:
.PHONY: systemd-bindir
