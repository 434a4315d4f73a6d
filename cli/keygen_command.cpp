// baton keygen NAME: a CURVE key pair for a broker, a node, an operator or a monitor. Nothing
// talks to the broker: the public key reaches it through its authorized-keys file.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "common/net/curve_keys.hpp"

namespace baton::cli {

namespace {

struct KeygenOptions {
  std::string name;
  std::string dir = ".";
  std::string role;
};

void run_keygen(const KeygenOptions& options) {
  auto keys = generate_curve_key_pair();
  if (!keys) throw CliError(ExitCode::kRequestFailed, keys.error().message);
  const std::string base = options.dir + "/" + options.name;
  if (auto written = write_curve_key_files(base, options.name, *keys); !written) {
    throw CliError(ExitCode::kRequestFailed, written.error().message);
  }
  std::cout << "wrote " << base << ".key (the key pair, mode 0600: keep it secret) and " << base
            << ".pub\n"
            << "public key: " << keys->public_key << "\n";
  if (!options.role.empty()) {
    std::cout << "authorize it with this line in the broker's authorized-keys file:\n  "
              << options.role << ' ' << keys->public_key << ' ' << options.name << "\n";
  }
}

}  // namespace

void add_keygen_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<KeygenOptions>();
  CLI::App* keygen = app.add_subcommand(
      "keygen",
      "make a CURVE key pair: NAME.key (secret, for --key) and NAME.pub (for the broker's "
      "authorized keys, or --broker-key when NAME is the broker)");
  keygen
      ->add_option("name", options->name,
                   "whose key: a node's machine id, a person, a program, or the broker")
      ->required()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            if (text.find_first_of("/ \t\n#") != std::string::npos) {
              return "a key's name is one word without '/' or '#'";
            }
            return {};
          },
          "NAME"));
  keygen->add_option("--dir", options->dir, "folder to write the two files to")
      ->check(CLI::ExistingDirectory)
      ->capture_default_str();
  keygen
      ->add_option("--role", options->role,
                   "also print the authorized-keys line for this role: node (NAME is its "
                   "machine), operator or monitor")
      ->check(CLI::IsMember({"node", "operator", "monitor"}));
  run_when_chosen(keygen, context, [options] { run_keygen(*options); });
}

}  // namespace baton::cli
