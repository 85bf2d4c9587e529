# `cmake --install build --prefix P`: the binary, the catalogs, one man page per command
# (generated from the help text by help2man when it is installed; scripts/deps.sh installs it)
# and bash/zsh completion. The binary finds <prefix>/share/capsearch relative to itself
# (src/catalog/dir.c), so the installed tree can be moved.
include(GNUInstallDirs)
set(CS_DATADIR ${CMAKE_INSTALL_DATADIR}/capsearch)
install(TARGETS capsearch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES configs/models.yaml configs/devices.yaml configs/networks.yaml DESTINATION ${CS_DATADIR})
install(FILES configs/quickstart.yml configs/seed-sweep.yml configs/simulate-example.yml
        DESTINATION ${CS_DATADIR}/examples)
install(FILES completions/capsearch.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME capsearch)
install(FILES completions/_capsearch DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)

# The catalog directory as seen from the binary's directory (default ../share/capsearch).
file(RELATIVE_PATH cs_data_rel /${CMAKE_INSTALL_BINDIR} /${CS_DATADIR})
target_compile_definitions(cs_catalog PRIVATE CS_DATA_REL="${cs_data_rel}")

find_program(HELP2MAN help2man)
if(HELP2MAN)
  # name: one-line description of each page (the command table's summary in src/cli/main.c)
  set(cs_man_pages
      "capsearch|LLM-serving capacity planning: capacity-search sweeps and their analysis"
      "sweep|the capacity-search sweep (the main job)"
      "simulate|run one request-level simulation"
      "plan|memory capacity planning for a model on a device"
      "recommend|fast analytic screen of devices x TP for a workload"
      "analyze|offline analysis of a sweep's output directory"
      "report|self-contained HTML report of an output directory"
      "list|list models, devices, networks, schedulers, predictors, metrics"
      "trace|inspect, convert and generate traces"
      "predictor|check and query execution-time predictors")
  set(cs_man_outs)
  foreach(entry ${cs_man_pages})
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 cmd)
    list(GET parts 1 desc)
    if(cmd STREQUAL "capsearch")
      set(page capsearch)
      set(helpopt "--help")
    else()
      set(page capsearch-${cmd})
      set(helpopt "${cmd} --help")
    endif()
    set(inc ${CMAKE_BINARY_DIR}/man/${page}.h2m)
    file(WRITE ${inc} "[name]\n${page} \\- ${desc}\n[see also]\ncapsearch(1); the documentation in docs/ of the source tree\n")
    add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/${page}.1
      COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=1 --include=${inc}
              "--help-option=${helpopt}" --version-option=--version
              --output=${CMAKE_BINARY_DIR}/man/${page}.1 $<TARGET_FILE:capsearch>
      DEPENDS capsearch ${inc} VERBATIM)
    list(APPEND cs_man_outs ${CMAKE_BINARY_DIR}/man/${page}.1)
  endforeach()
  add_custom_target(cs_man ALL DEPENDS ${cs_man_outs})
  install(FILES ${cs_man_outs} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man pages (scripts/deps.sh installs it)")
endif()
