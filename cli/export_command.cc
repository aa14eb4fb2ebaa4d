#include "export_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "kftenant/tenancy/export.h"
#include "secret_file.h"

namespace kftenant::cli {
namespace {

struct ExportFlags {
  std::string format = "csv", out;
  bool with_hashes = false;
};

int run_export(const GlobalOptions& options, const ExportFlags& flags) {
  if (flags.format != "csv" && flags.format != "yaml")
    return report_error(usage_error("-o " + flags.format + ": use -o csv or -o yaml"));
  auto context = tenancy_context(options);
  if (!context) return report_error(context.error());
  // A file of hashes is a secret: written new, mode 0600, before the store is read.
  NewSecretFile file;
  if (!flags.out.empty())
    if (auto created = file.create(flags.out, "--out"); !created)
      return report_error(created.error());
  auto session = open_session(options);
  if (!session) return report_error(session.error());
  auto exported = tenancy::export_users(*session->store, *context, {flags.with_hashes});
  if (!exported) return report_error(exported.error());
  for (const auto& w : exported->warnings) std::fprintf(stderr, "kftenant: %s\n", w.c_str());
  if (flags.format == "csv")
    for (const auto& w : exported->csv_warnings) std::fprintf(stderr, "kftenant: %s\n", w.c_str());
  const std::string text = flags.format == "csv"
                               ? tenancy::write_user_csv(exported->rows, flags.with_hashes)
                               : tenancy::write_tenants_yaml(*exported, flags.with_hashes);
  if (flags.out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  if (auto written = file.append(text); !written) return report_error(written.error());
  std::fprintf(stderr, "kftenant: %zu user(s) written to %s (mode 0600)\n", exported->rows.size(),
               flags.out.c_str());
  return kExitOk;
}

}  // namespace

void add_export_command(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  auto* cmd = app.add_subcommand("export",
                                 "Write the users, profiles, quotas and contributors as a file "
                                 "import (CSV) or apply (YAML) reads back");
  cmd->add_option("-o,--output", flags->format, "csv or yaml")->capture_default_str();
  cmd->add_flag("--with-hashes", flags->with_hashes,
                "Include the users' bcrypt hashes (then keep the file secret)");
  cmd->add_option("--out", flags->out,
                  "Write to this new file (mode 0600) instead of standard output");
  cmd->callback([&options, &exit_code, flags] { exit_code = run_export(options, *flags); });
}

}  // namespace kftenant::cli
