# SPDX-License-Identifier: Apache-2.0
# Install rules and the Debian package (issue 15): `cpack -G DEB` in the build directory
# writes vpcpeer_<version>_<arch>.deb. What goes where is the contract in docs/operations.md:
# /usr/bin/vpcpeer, /lib/systemd/system/vpcpeer.service, /etc/default/vpcpeer (a conffile),
# the man pages vpcpeer(1) and vpcpeer-COMMAND(1), the bash completion
# /usr/share/bash-completion/completions/vpcpeer, the docs under /usr/share/doc/vpcpeer.
include(GNUInstallDirs)
# `cpack` and `make install` do not rebuild every target (tests, fuzzers) first: build, then
# package (tests/package runs cpack on a built tree within its time budget).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(VP_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)

# /etc/default/vpcpeer and vpcpeer.1, both from the built program's --help, so they list
# exactly the options the program has.
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/packaging/vpcpeer.default
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND sh ${VP_PKG_DIR}/gen-default.sh $<TARGET_FILE:vpcpeer>
          ${CMAKE_BINARY_DIR}/packaging/vpcpeer.default
  DEPENDS vpcpeer ${VP_PKG_DIR}/gen-default.sh
  COMMENT "packaging: /etc/default/vpcpeer from vpcpeer serve --help")
set(VP_PKG_OUTPUTS ${CMAKE_BINARY_DIR}/packaging/vpcpeer.default)

# The bash completion, from the built program's option tables (`vpcpeer completion bash`),
# so it never lists an option the program does not have (issue 17).
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/packaging/vpcpeer.bash-completion
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND $<TARGET_FILE:vpcpeer> completion bash >
          ${CMAKE_BINARY_DIR}/packaging/vpcpeer.bash-completion
  DEPENDS vpcpeer
  COMMENT "packaging: the bash completion from vpcpeer completion bash")
list(APPEND VP_PKG_OUTPUTS ${CMAKE_BINARY_DIR}/packaging/vpcpeer.bash-completion)
install(FILES ${CMAKE_BINARY_DIR}/packaging/vpcpeer.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME vpcpeer)

find_program(VP_HELP2MAN help2man)
if(VP_HELP2MAN)
  add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/packaging/vpcpeer.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
    COMMAND ${VP_HELP2MAN} --no-info --section=1 --source=vpcpeer
            "--name=let client VPCs join a hub VPC by peering"
            --include=${VP_PKG_DIR}/vpcpeer.h2m
            --output=${CMAKE_BINARY_DIR}/packaging/vpcpeer.1 $<TARGET_FILE:vpcpeer>
    COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/packaging/vpcpeer.1
    DEPENDS vpcpeer ${VP_PKG_DIR}/vpcpeer.h2m
    COMMENT "packaging: vpcpeer.1 with help2man")
  list(APPEND VP_PKG_OUTPUTS ${CMAKE_BINARY_DIR}/packaging/vpcpeer.1.gz)
  install(FILES ${CMAKE_BINARY_DIR}/packaging/vpcpeer.1.gz
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  # vpcpeer-COMMAND(1) for each command (tests/package checks that every command of
  # `vpcpeer --help` has one and that each renders).
  set(VP_COMMANDS serve reconcile plan whoami db register confirm release show list probe lambda
                  serve-lambda)
  foreach(cmd IN LISTS VP_COMMANDS)
    set(page ${CMAKE_BINARY_DIR}/packaging/vpcpeer-${cmd}.1.gz)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
      COMMAND sh ${VP_PKG_DIR}/man-subcommand.sh ${VP_HELP2MAN} $<TARGET_FILE:vpcpeer> ${cmd}
              ${PROJECT_VERSION} ${VP_PKG_DIR}/subcommand.h2m ${page}
      DEPENDS vpcpeer ${VP_PKG_DIR}/man-subcommand.sh ${VP_PKG_DIR}/subcommand.h2m
      COMMENT "packaging: vpcpeer-${cmd}.1 with help2man")
    list(APPEND VP_PKG_OUTPUTS ${page})
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endforeach()
else()
  message(STATUS "help2man not found: the package has no man page (scripts/setup installs it)")
endif()
add_custom_target(vpcpeer_packaging ALL DEPENDS ${VP_PKG_OUTPUTS})

install(TARGETS vpcpeer RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Debian's systemd looks in /lib/systemd/system (not under the /usr prefix) on bookworm.
install(FILES ${VP_PKG_DIR}/vpcpeer.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_BINARY_DIR}/packaging/vpcpeer.default DESTINATION /etc/default
        RENAME vpcpeer)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
              ${PROJECT_SOURCE_DIR}/docs/serving.md ${PROJECT_SOURCE_DIR}/docs/api.md
              ${PROJECT_SOURCE_DIR}/docs/security.md ${PROJECT_SOURCE_DIR}/docs/registry.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vpcpeer)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "vpcpeer maintainers <vpcpeer@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "broker and CLI that let client VPCs join a hub VPC by peering")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # vpcpeer_<version>_<arch>.deb, arch from dpkg
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the binary's libraries, through dpkg-shlibdeps; adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ca-certificates")
# conffiles: /etc/default/vpcpeer, so an upgrade keeps the administrator's settings.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${VP_PKG_DIR}/debian/conffiles ${VP_PKG_DIR}/debian/postinst ${VP_PKG_DIR}/debian/prerm
    ${VP_PKG_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES OFF)
include(CPack)
