// tests/transcripts/scenario_setup.cc compiled into this binary as well: the differential tests
// reuse the transcript replay (each folder under tests/ is one test binary, see CMakeLists.txt).
#include "transcripts/scenario_setup.cc"  // NOLINT(bugprone-suspicious-include)
