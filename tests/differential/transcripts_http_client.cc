// tests/transcripts/http_client.cc compiled into this binary as well: the differential tests reuse
// the transcript replay (each folder under tests/ is one test binary, see CMakeLists.txt).
#include "transcripts/http_client.cc"  // NOLINT(bugprone-suspicious-include)
