# Install rules and the Debian package (packaging/build-deb.sh runs cpack -G DEB):
# /usr/bin/soar-sync, /usr/bin/soar-emulator, /etc/soar-sync/soar-sync.ini (a conffile),
# the systemd unit, the man page, and maintainer scripts that create the soar-sync user.

include(GNUInstallDirs)

install(TARGETS soar-sync RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET soar-emulator)
    install(TARGETS soar-emulator RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${CMAKE_SOURCE_DIR}/etc/soar-sync.ini DESTINATION /etc/soar-sync)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/soar-sync.service
        DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/etc/demo.ini
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Debian wants man pages compressed.
set(_soar_man ${CMAKE_BINARY_DIR}/soar-sync.1.gz)
add_custom_command(OUTPUT ${_soar_man}
    COMMAND gzip -9n -c ${CMAKE_SOURCE_DIR}/packaging/soar-sync.1 > ${_soar_man}
    DEPENDS ${CMAKE_SOURCE_DIR}/packaging/soar-sync.1
    COMMENT "Compressing the man page")
add_custom_target(soar_sync_man ALL DEPENDS ${_soar_man})
install(FILES ${_soar_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME soar-sync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "soar-sync maintainers <soar-sync@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Keeps Splunk SOAR instances in step")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Keeps Splunk SOAR instances in step\n Polls a source SOAR instance through its REST API, replays containers,\n artifacts, notes and comments to target instances without loss or\n duplicates, triggers playbooks there and follows their runs. Includes\n soar-emulator, a SOAR REST API emulator for testing routes.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/soar-sync")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles
    ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
    ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
