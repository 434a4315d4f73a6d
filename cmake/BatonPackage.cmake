# What `cmake --install` gives projects that build against Baton: the CMake package
# (find_package(Baton) -> Baton::appmonitor, with a version file) and baton-appmonitor.pc.
# The targets themselves are installed where they are defined (sdk/CMakeLists.txt).
include(CMakePackageConfigHelpers)

set(BATON_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Baton)
install(EXPORT BatonTargets NAMESPACE Baton:: DESTINATION ${BATON_CMAKE_PACKAGE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/BatonConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/BatonConfig.cmake
  INSTALL_DESTINATION ${BATON_CMAKE_PACKAGE_DIR})
# Before 1.0 a minor release may change the API, so only patch releases count as compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/BatonConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/BatonConfig.cmake
              ${PROJECT_BINARY_DIR}/package/BatonConfigVersion.cmake
        DESTINATION ${BATON_CMAKE_PACKAGE_DIR})

set(BATON_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH BATON_PC_PREFIX_FROM_PCFILEDIR /${BATON_PKGCONFIG_DIR} /)
string(REGEX REPLACE "/$" "" BATON_PC_PREFIX_FROM_PCFILEDIR "${BATON_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/baton-appmonitor.pc.in
  ${PROJECT_BINARY_DIR}/package/baton-appmonitor.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/baton-appmonitor.pc DESTINATION ${BATON_PKGCONFIG_DIR})
