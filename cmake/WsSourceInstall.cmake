# Copyright (c) James Kassemi, SC, US. All rights reserved.
# `cmake --install` puts the headers, libws_source.a and a package config that
# `find_package(ws_source)` finds (target ws_source::ws_source).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WS_SOURCE_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ws_source")

install(TARGETS ws_source EXPORT ws_sourceTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ws_source DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ws_sourceTargets NAMESPACE ws_source:: DESTINATION ${WS_SOURCE_CMAKE_DIR})
# ws_source::nats in an export set of its own (ws_source_natsTargets.cmake): the package config
# loads it, and looks for libnats, only when it was installed, so a consumer of ws_source alone
# never needs libnats.
if(TARGET ws_source_nats)
  install(TARGETS ws_source_nats EXPORT ws_source_natsTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT ws_source_natsTargets NAMESPACE ws_source:: DESTINATION ${WS_SOURCE_CMAKE_DIR})
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ws_sourceConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ws_sourceConfig.cmake
                              INSTALL_DESTINATION ${WS_SOURCE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ws_sourceConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ws_sourceConfig.cmake ${PROJECT_BINARY_DIR}/ws_sourceConfigVersion.cmake
        DESTINATION ${WS_SOURCE_CMAKE_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ws_source)
