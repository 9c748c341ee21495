# Install rules and the Debian packages (packaging/build-deb.sh runs cpack -G DEB):
# soar-sync: /usr/bin/soar-sync, /etc/soar-sync/soar-sync.ini (a conffile), the systemd unit,
# the man page, and maintainer scripts that create the soar-sync user. soar-sync-emulator:
# /usr/bin/soar-emulator, a SOAR REST API emulator for testing routes, in a package of its own
# so that no production host gets a server with default credentials by installing soar-sync.

include(GNUInstallDirs)

install(TARGETS soar-sync RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
if(TARGET soar-emulator)
    install(TARGETS soar-emulator RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT emulator)
endif()
install(FILES ${CMAKE_SOURCE_DIR}/etc/soar-sync.ini DESTINATION /etc/soar-sync COMPONENT daemon)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/soar-sync.service
        DESTINATION /lib/systemd/system COMPONENT daemon)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/etc/demo.ini
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT daemon)

# Debian wants man pages compressed.
set(_soar_man ${CMAKE_BINARY_DIR}/soar-sync.1.gz)
add_custom_command(OUTPUT ${_soar_man}
    COMMAND gzip -9n -c ${CMAKE_SOURCE_DIR}/packaging/soar-sync.1 > ${_soar_man}
    DEPENDS ${CMAKE_SOURCE_DIR}/packaging/soar-sync.1
    COMMENT "Compressing the man page")
add_custom_target(soar_sync_man ALL DEPENDS ${_soar_man})
install(FILES ${_soar_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT daemon)

set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
if(TARGET soar-emulator)
    set(CPACK_COMPONENTS_ALL daemon emulator)
else()
    set(CPACK_COMPONENTS_ALL daemon)
endif()
set(CPACK_PACKAGE_NAME soar-sync)
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME soar-sync)
set(CPACK_DEBIAN_EMULATOR_PACKAGE_NAME soar-sync-emulator)
set(CPACK_DEBIAN_EMULATOR_PACKAGE_SECTION devel)
# Descriptions: the first line is each package's summary. CPack would put the project's
# description in front of both unless the summary is its own default, which it then skips.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_DEBIAN_EMULATOR_DESCRIPTION
    "SOAR REST API emulator for testing soar-sync routes\nsoar-emulator serves the parts of the Splunk SOAR REST API that soar-sync\nuses, seeded with test data, with faults on request. It is for test and demo\nhosts: it has default credentials; do not install it next to production.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "soar-sync maintainers <soar-sync@localhost>")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Keeps Splunk SOAR instances in step\nPolls a source SOAR instance through its REST API, replays containers,\nartifacts, notes and comments to target instances without loss or\nduplicates, triggers playbooks there and follows their runs.")
set(CPACK_DEBIAN_DAEMON_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/soar-sync")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles
    ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
    ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
