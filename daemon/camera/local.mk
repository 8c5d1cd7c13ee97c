# camera/: GStreamer stills, clips and live preview for remote identification.
# Included after daemon/local.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/camera/camera.c \
	daemon/camera/camera.h \
	daemon/camera/camera-private.h \
	daemon/camera/capture.c \
	daemon/camera/pipeline.c \
	daemon/camera/preview.c \
	$(NULL)

# Against the test source (videotestsrc); needs gst-discoverer-1.0 for the
# clip checks (gstreamer1.0-plugins-base-apps), skipped without it.
check_PROGRAMS += tests/unit/test-camera
unit_tests += tests/unit/test-camera
tests_unit_test_camera_SOURCES = tests/unit/test-camera.c
tests_unit_test_camera_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
tests_unit_test_camera_LDADD = $(DAEMON_LIBS)
