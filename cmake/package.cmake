# The Debian package (make deb; docs/operations.md): CPack's DEB generator
# on the release tree, so that the package is built from the binaries the
# tests ran, without a debian/ folder at the top of the repository.
# Generated here: the manual pages and the changelog compressed as Debian
# wants them, and /etc/evgroup/master.ini from the settings table.

set(EVG_PKG ${PROJECT_BINARY_DIR}/pkg)
set(EVG_MANS evgroup-master.8 evgroup-slave.8 evgroup-tui.1 evgroup-sim.1)
set(EVG_PKG_FILES ${EVG_PKG}/master.ini ${EVG_PKG}/changelog.gz)

configure_file(${PROJECT_SOURCE_DIR}/config/deb/changelog.in
               ${EVG_PKG}/changelog @ONLY)
add_custom_command(
  OUTPUT ${EVG_PKG}/changelog.gz
  COMMAND gzip -9nc ${EVG_PKG}/changelog > ${EVG_PKG}/changelog.gz
  DEPENDS ${EVG_PKG}/changelog)
foreach(man ${EVG_MANS})
  add_custom_command(
    OUTPUT ${EVG_PKG}/${man}.gz
    COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/docs/man/${man} > ${EVG_PKG}/${man}.gz
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${man})
  list(APPEND EVG_PKG_FILES ${EVG_PKG}/${man}.gz)
  string(REGEX MATCH "[0-9]$" sec ${man})
  install(FILES ${EVG_PKG}/${man}.gz DESTINATION share/man/man${sec})
endforeach()
# every key commented at its default; the database in the state folder
add_custom_command(
  OUTPUT ${EVG_PKG}/master.ini
  COMMAND evgroup-master --print-config
          --set site.database=/var/lib/evgroup/evgroup.db > ${EVG_PKG}/master.ini
  DEPENDS evgroup-master)
add_custom_target(evg_pkgfiles ALL DEPENDS ${EVG_PKG_FILES})

install(TARGETS evgroup-master evgroup-slave evgroup-tui evgroup-sim
        RUNTIME DESTINATION bin)
install(FILES ${EVG_PKG}/master.ini DESTINATION /etc/evgroup)
install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/evgroup-master.service
        ${PROJECT_SOURCE_DIR}/config/systemd/evgroup-backup.service
        ${PROJECT_SOURCE_DIR}/config/systemd/evgroup-backup.timer
        DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/config/deb/copyright ${EVG_PKG}/changelog.gz
        ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
        ${PROJECT_SOURCE_DIR}/docs/installer-guide.md
        ${PROJECT_SOURCE_DIR}/docs/operator-guide.md
        ${PROJECT_SOURCE_DIR}/docs/api.md
        DESTINATION share/doc/evgroup)
install(FILES ${PROJECT_SOURCE_DIR}/config/master.ini
        ${PROJECT_SOURCE_DIR}/config/slave.ini
        DESTINATION share/doc/evgroup/examples)

file(WRITE ${EVG_PKG}/conffiles "/etc/evgroup/master.ini\n")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME evgroup)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "evgroup developers <evgroup@evgroup.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "group charging controller for car parks")
# CPack puts the summary first and indents these lines itself
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "evgroup shares a car park's supply among its chargers: the master polls
every charger over Modbus TCP, reads the site's meter, gives each car its
current, records sessions in SQLite and serves a web UI and a JSON API.

This package holds the master (run as the evgroup-master service), the
charger firmware, the operators' console and the site simulator.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION electronics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# deb-systemd-helper and deb-systemd-invoke: init-system-helpers (essential)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/config/deb/postinst
    ${PROJECT_SOURCE_DIR}/config/deb/prerm
    ${PROJECT_SOURCE_DIR}/config/deb/postrm
    ${EVG_PKG}/conffiles)
include(CPack)
