# Two INTERFACE targets every project target links PRIVATE: soar_warnings carries the
# warning set (and -Werror with SOAR_SYNC_WERROR), soar_options the sanitizer flags.
# CMAKE_CXX_FLAGS is never touched, so packagers keep control of their own flags.

add_library(soar_warnings INTERFACE)
target_compile_options(soar_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wformat=2
    -Wimplicit-fallthrough)
if(SOAR_SYNC_WERROR)
    target_compile_options(soar_warnings INTERFACE -Werror)
endif()

add_library(soar_options INTERFACE)
set(_soar_sanitize "${SOAR_SYNC_SANITIZE}")
if(_soar_sanitize STREQUAL "ON")
    set(_soar_sanitize "address,undefined")
endif()
if(_soar_sanitize AND NOT _soar_sanitize STREQUAL "OFF")
    if(NOT _soar_sanitize MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
        message(FATAL_ERROR "SOAR_SYNC_SANITIZE: expected OFF, ON, address,undefined or thread; got '${SOAR_SYNC_SANITIZE}'")
    endif()
    target_compile_options(soar_options INTERFACE
        -fsanitize=${_soar_sanitize} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(soar_options INTERFACE -fsanitize=${_soar_sanitize})
    message(STATUS "soar-sync: sanitizers ${_soar_sanitize}")
endif()
