# edgepipe as an installed CMake package (included at the end of the top-level
# CMakeLists.txt, after every layer is added). `cmake --install build --prefix P`
# puts there:
#
#   P/bin/edgepipe                               the command line
#   P/lib/libedgepipe_<layer>.a                  one static library per target of
#                                                src/<layer>/ (tests excluded)
#   P/include/edgepipe/edgepipe.h                the umbrella header (src/edgepipe.h)
#   P/include/edgepipe/src/<layer>/...h          every library header, and the
#                                                generated .pb.h / _generated.h
#   P/lib/cmake/edgepipe/edgepipeConfig.cmake    find_package(edgepipe), with
#                      edgepipeConfigVersion.cmake   find_dependency for what the
#                      edgepipeTargets*.cmake        static libraries link
#
# Targets are exported as edgepipe::<layer> (the name without "edgepipe_"),
# edgepipe::edgepipe (INTERFACE, links every library) and edgepipe::cli.
#
# Include paths. Every header includes its siblings as "src/<layer>/x.h" from
# the repository root (and generated ones from the build tree), so the
# installed tree keeps that shape under include/edgepipe/ and the libraries
# carry include/edgepipe as their install-interface include directory; the
# umbrella adds include/ so users write <edgepipe/edgepipe.h>. Layers declare
# `target_include_directories(x PUBLIC ${PROJECT_SOURCE_DIR} ...)` as before:
# the loop below rewrites each source- or build-tree path of a library's
# INTERFACE_INCLUDE_DIRECTORIES to $<BUILD_INTERFACE:...>, so a library added
# later needs nothing here to be installable.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(EDGEPIPE_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/edgepipe)
set(EDGEPIPE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/edgepipe)

# The libraries: every library target defined in src/<layer>/CMakeLists.txt
# except test-only ones (a name containing "test") and the Open MPI
# communicator (edgepipe_mpi: the installed package needs no MPI).
set(EDGEPIPE_INSTALL_LIBRARIES)
foreach(layer ${EDGEPIPE_LAYERS})
  if(NOT EXISTS ${PROJECT_SOURCE_DIR}/src/${layer}/CMakeLists.txt)
    continue()
  endif()
  get_property(targets DIRECTORY ${PROJECT_SOURCE_DIR}/src/${layer} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target ${targets})
    get_target_property(type ${target} TYPE)
    if(type MATCHES "^(STATIC|SHARED|INTERFACE)_LIBRARY$" AND NOT target MATCHES "test"
       AND NOT target STREQUAL "edgepipe_mpi")
      list(APPEND EDGEPIPE_INSTALL_LIBRARIES ${target})
    endif()
  endforeach()
endforeach()

foreach(target ${EDGEPIPE_INSTALL_LIBRARIES})
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  set(rewritten)
  if(dirs)
    foreach(dir ${dirs})
      if(dir MATCHES "^\\$<")  # already a generator expression
        list(APPEND rewritten "${dir}")
      elseif(IS_ABSOLUTE "${dir}")
        # Source/build tree, or a dependency's own directory (protobuf's),
        # which its imported target brings to consumers of the installed package.
        list(APPEND rewritten "$<BUILD_INTERFACE:${dir}>")
      else()
        list(APPEND rewritten "${dir}")
      endif()
    endforeach()
  endif()
  list(APPEND rewritten "$<INSTALL_INTERFACE:${EDGEPIPE_INSTALL_INCLUDEDIR}>")
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${rewritten}")
  string(REGEX REPLACE "^edgepipe_" "" export_name ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
endforeach()

# edgepipe::edgepipe: the umbrella a user links (`edgepipe` is the CLI's
# target name, hence edgepipe_all). Static archives: only what a program
# uses is linked in.
add_library(edgepipe_all INTERFACE)
add_library(edgepipe::edgepipe ALIAS edgepipe_all)
set_target_properties(edgepipe_all PROPERTIES EXPORT_NAME edgepipe)
target_link_libraries(edgepipe_all INTERFACE ${EDGEPIPE_INSTALL_LIBRARIES})
target_include_directories(edgepipe_all INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

# edgepipe::module: for module files and pipeline libraries (CMake MODULE
# libraries the edgepipe CLI dlopens, src/components/module.h): the headers
# and the include paths of header dependencies, but none of edgepipe's
# archives — a module's references to edgepipe resolve against the program
# that loads it, so the process holds one copy of edgepipe (and of its
# protobuf descriptors, which a second copy would register twice).
add_library(edgepipe_module INTERFACE)
add_library(edgepipe::module ALIAS edgepipe_module)
set_target_properties(edgepipe_module PROPERTIES EXPORT_NAME module)
target_include_directories(edgepipe_module INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}>
  $<INSTALL_INTERFACE:${EDGEPIPE_INSTALL_INCLUDEDIR}> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  $<TARGET_PROPERTY:protobuf::libprotobuf,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:flatbuffers::flatbuffers,INTERFACE_INCLUDE_DIRECTORIES>)
target_link_libraries(edgepipe_module INTERFACE nlohmann_json::nlohmann_json)
target_compile_features(edgepipe_module INTERFACE cxx_std_20)

set(EDGEPIPE_INSTALL_TARGETS ${EDGEPIPE_INSTALL_LIBRARIES} edgepipe_all edgepipe_module)
if(TARGET edgepipe)
  set_target_properties(edgepipe PROPERTIES EXPORT_NAME cli)
  list(APPEND EDGEPIPE_INSTALL_TARGETS edgepipe)
endif()
# Builds exactly what `cmake --install` copies (scripts/install.sh), without
# the tests and benches of `all`.
add_custom_target(edgepipe_installables)
add_dependencies(edgepipe_installables ${EDGEPIPE_INSTALL_TARGETS})
install(TARGETS ${EDGEPIPE_INSTALL_TARGETS}
  EXPORT edgepipeTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# Headers: every src/**.h but the CLI's and test helpers'. The umbrella goes
# to include/edgepipe/edgepipe.h.
file(GLOB_RECURSE EDGEPIPE_HEADERS CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}
     ${PROJECT_SOURCE_DIR}/src/*.h)
list(FILTER EDGEPIPE_HEADERS EXCLUDE REGEX
     "^src/(edgepipe\\.h|cli/.*|.*/testing/.*|.*_test_util\\.h|.*/test_models\\.h)$")
foreach(header ${EDGEPIPE_HEADERS})
  cmake_path(GET header PARENT_PATH dir)
  install(FILES ${PROJECT_SOURCE_DIR}/${header} DESTINATION ${EDGEPIPE_INSTALL_INCLUDEDIR}/${dir})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/src/edgepipe.h DESTINATION ${EDGEPIPE_INSTALL_INCLUDEDIR})

# Generated headers, at the path they have in the build tree: the .pb.h of
# every .pb.cc an installed library compiles, and the TFLite schema.
set(EDGEPIPE_GENERATED_HEADERS)
if(TARGET edgepipe_lite_schema)
  list(APPEND EDGEPIPE_GENERATED_HEADERS ${PROJECT_BINARY_DIR}/src/lite/schema/schema_generated.h)
endif()
foreach(target ${EDGEPIPE_INSTALL_LIBRARIES})
  get_target_property(sources ${target} SOURCES)
  foreach(source ${sources})
    if(source MATCHES "^${PROJECT_BINARY_DIR}/(.*)\\.pb\\.cc$")
      list(APPEND EDGEPIPE_GENERATED_HEADERS ${PROJECT_BINARY_DIR}/${CMAKE_MATCH_1}.pb.h)
    endif()
  endforeach()
endforeach()
foreach(header ${EDGEPIPE_GENERATED_HEADERS})
  file(RELATIVE_PATH rel ${PROJECT_BINARY_DIR} ${header})
  cmake_path(GET rel PARENT_PATH dir)
  install(FILES ${header} DESTINATION ${EDGEPIPE_INSTALL_INCLUDEDIR}/${dir})
endforeach()

install(EXPORT edgepipeTargets NAMESPACE edgepipe:: DESTINATION ${EDGEPIPE_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/edgepipeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/edgepipeConfig.cmake
  INSTALL_DESTINATION ${EDGEPIPE_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/edgepipeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/edgepipeConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/edgepipeConfigVersion.cmake
        DESTINATION ${EDGEPIPE_INSTALL_CMAKEDIR})
