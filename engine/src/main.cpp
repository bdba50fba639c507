// profferd: the Proffer engine.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "proffer/app/engine.hpp"
#include "proffer/config/config.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"profferd - the Proffer telephony engine"};
  std::string config_file, state_dir;
  bool check = false, version = false, print_defaults = false;
  cli.add_option("--config", config_file, "TOML configuration file (default: embedded defaults)");
  cli.add_option("--state-dir", state_dir, "folder for the database and local sockets");
  cli.add_flag("--check-config", check, "validate the configuration and exit");
  cli.add_flag("--version", version, "print the version and exit");
  cli.add_flag("--print-default-config", print_defaults, "print the embedded defaults as TOML");
  CLI11_PARSE(cli, argc, argv);

  if (version) {
    std::cout << "profferd " << PROFFER_VERSION << "\n";
    return 0;
  }
  if (print_defaults) {
    std::cout << proffer::config::default_config_toml();
    return 0;
  }
  proffer::config::EngineConfig config;
  try {
    config = config_file.empty() ? proffer::config::default_config()
                                 : proffer::config::load_config_file(config_file);
  } catch (const proffer::config::ConfigError& e) {
    std::cerr << (config_file.empty() ? std::string("defaults") : config_file) << ": " << e.what()
              << "\n";
    return 2;
  }
  if (!state_dir.empty()) config.state_dir = state_dir;
  auto bin_dir = std::filesystem::canonical("/proc/self/exe").parent_path().string();
  config.resolve_defaults(bin_dir);
  if (check) {
    std::cout << "configuration OK\n";
    return 0;
  }
  proffer::app::setup_logging(config.log_level, config.log_format);
  proffer::app::Engine engine(std::move(config), bin_dir);
  return engine.run();
}
